// fp32 MatMul: see matmul.wgsl for what a prelude defines.
alias T = f32;
alias ACC = f32;

fn mac(acc: f32, a: f32, b: f32) -> f32 {
  return acc + a * b;
}
