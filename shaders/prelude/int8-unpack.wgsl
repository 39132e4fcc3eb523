// int8 MatMul where dot4I8Packed is missing: unpack the 4 signed bytes by shifting each one to the top
// and arithmetic-shifting it back down (sign extension), then an i32 dot.
alias T = u32;
alias ACC = i32;

fn unpack(w: u32) -> vec4<i32> {
  return bitcast<vec4<i32>>(vec4<u32>(w) << vec4<u32>(24u, 16u, 8u, 0u)) >> vec4<u32>(24u);
}

fn mac(acc: i32, a: u32, b: u32) -> i32 {
  return acc + dot(unpack(a), unpack(b));
}
