// Tiled matrix multiply C = A × B, row-major: A is M×K, B is K×N, C is M×N.
// Generic over the element type: a prelude (manifest.json "sources") defines
//   T    the stored element of A and B,
//   ACC  the accumulator and element of C,
//   fn mac(acc: ACC, a: T, b: T) -> ACC.
// For int8 a T is a u32 holding 4 packed int8 along K, so K here counts words and mac is a 4-wide dot.
// WG_X, WG_Y (workgroup size) and R come from manifest.json: the runner declares them as consts.
// Each invocation computes an R×R block of C from BM×BK and BK×BN tiles staged in workgroup memory:
// register blocking is what gets a real GPU near its peak instead of being bound by tile loads.

const BK = 16u;
const BM = WG_Y * R;
const BN = WG_X * R;

struct Dims { M: u32, N: u32, K: u32 }

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> A: array<T>;
@group(0) @binding(2) var<storage, read> B: array<T>;
@group(0) @binding(3) var<storage, read_write> C: array<ACC>;

var<workgroup> tileA: array<T, BM * BK>;
var<workgroup> tileB: array<T, BK * BN>;

@compute @workgroup_size(WG_X, WG_Y)
fn main(
  @builtin(workgroup_id) wg: vec3u,
  @builtin(local_invocation_id) lid: vec3u,
  @builtin(local_invocation_index) li: u32,
) {
  let row0 = wg.y * BM;
  let col0 = wg.x * BN;
  let threads = WG_X * WG_Y;
  var acc: array<ACC, R * R>;
  for (var i = 0u; i < R * R; i++) {
    acc[i] = ACC(0);
  }

  for (var k0 = 0u; k0 < dims.K; k0 += BK) {
    // Out-of-range elements load as zero, so edge tiles (sizes that are not multiples of the tile) add nothing.
    for (var i = li; i < BM * BK; i += threads) {
      let r = row0 + i / BK;
      let c = k0 + i % BK;
      var v = T(0);
      if (r < dims.M && c < dims.K) {
        v = A[r * dims.K + c];
      }
      tileA[i] = v;
    }
    for (var i = li; i < BK * BN; i += threads) {
      let r = k0 + i / BN;
      let c = col0 + i % BN;
      var v = T(0);
      if (r < dims.K && c < dims.N) {
        v = B[r * dims.N + c];
      }
      tileB[i] = v;
    }
    workgroupBarrier();

    for (var k = 0u; k < BK; k++) {
      var a: array<T, R>;
      var b: array<T, R>;
      for (var i = 0u; i < R; i++) {
        a[i] = tileA[(lid.y * R + i) * BK + k];
        b[i] = tileB[k * BN + lid.x * R + i];
      }
      for (var i = 0u; i < R; i++) {
        for (var j = 0u; j < R; j++) {
          acc[i * R + j] = mac(acc[i * R + j], a[i], b[j]);
        }
      }
    }
    workgroupBarrier();
  }

  for (var i = 0u; i < R; i++) {
    for (var j = 0u; j < R; j++) {
      let r = row0 + lid.y * R + i;
      let c = col0 + lid.x * R + j;
      if (r < dims.M && c < dims.N) {
        C[r * dims.N + c] = acc[i * R + j];
      }
    }
  }
}
