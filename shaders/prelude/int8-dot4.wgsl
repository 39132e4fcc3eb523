// int8 MatMul with the packed dot product (WGSL language feature packed_4x8_integer_dot_product):
// each u32 holds 4 int8 along K; accumulation in i32.
requires packed_4x8_integer_dot_product;
alias T = u32;
alias ACC = i32;

fn mac(acc: i32, a: u32, b: u32) -> i32 {
  return acc + dot4I8Packed(a, b);
}
