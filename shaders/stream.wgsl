// Memory bandwidth, STREAM style: copy (dst = a) and triad (dst = a + s·b), one f32 per element.
// Grid-stride loops, so any n works with a capped number of workgroups.

// WG_X and WG_Y (workgroup size) come from manifest.json: the runner declares them as consts.

struct Params { n: u32, s: f32 }

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(WG_X, WG_Y)
fn copy(
  @builtin(workgroup_id) wg: vec3u,
  @builtin(num_workgroups) groups: vec3u,
  @builtin(local_invocation_index) li: u32,
) {
  let threads = WG_X * WG_Y;
  for (var i = wg.x * threads + li; i < params.n; i += groups.x * threads) {
    dst[i] = a[i];
  }
}

@compute @workgroup_size(WG_X, WG_Y)
fn triad(
  @builtin(workgroup_id) wg: vec3u,
  @builtin(num_workgroups) groups: vec3u,
  @builtin(local_invocation_index) li: u32,
) {
  let threads = WG_X * WG_Y;
  for (var i = wg.x * threads + li; i < params.n; i += groups.x * threads) {
    dst[i] = a[i] + params.s * b[i];
  }
}
