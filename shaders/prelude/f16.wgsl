// fp16 MatMul (needs the adapter feature "shader-f16"): storage and accumulation in f16,
// which is what half-precision throughput means.
enable f16;
alias T = f16;
alias ACC = f16;

fn mac(acc: f16, a: f16, b: f16) -> f16 {
  return acc + a * b;
}
