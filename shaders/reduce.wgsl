// Sum reduction: each workgroup folds a grid-stride slice of `src` into one partial sum in `dst[workgroup]`.
// The runner dispatches it twice (n elements → partials → 1). The tree step needs WG_X·WG_Y to be a power of 2.

// WG_X and WG_Y (workgroup size) come from manifest.json: the runner declares them as consts.

struct Params { n: u32 }

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;

var<workgroup> partial: array<f32, WG_X * WG_Y>;

@compute @workgroup_size(WG_X, WG_Y)
fn sum(
  @builtin(workgroup_id) wg: vec3u,
  @builtin(num_workgroups) groups: vec3u,
  @builtin(local_invocation_index) li: u32,
) {
  let threads = WG_X * WG_Y;
  var s = 0.0;
  for (var i = wg.x * threads + li; i < params.n; i += groups.x * threads) {
    s += src[i];
  }
  partial[li] = s;
  workgroupBarrier();
  for (var step = threads / 2u; step > 0u; step /= 2u) {
    if (li < step) {
      partial[li] += partial[li + step];
    }
    workgroupBarrier();
  }
  if (li == 0u) {
    dst[wg.x] = partial[0];
  }
}
