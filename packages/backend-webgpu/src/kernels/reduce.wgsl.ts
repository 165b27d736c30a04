/** A workgroup-wide f32 sum / max (tree reduction in workgroup memory), for the row kernels. */
export function workgroupReduce(wg: number): string {
  return /* wgsl */ `
var<workgroup> red: array<f32, ${wg}>;
fn wg_sum(lid: u32, v: f32) -> f32 {
  red[lid] = v;
  workgroupBarrier();
  for (var s = ${wg / 2}u; s > 0u; s = s >> 1u) {
    if (lid < s) { red[lid] = red[lid] + red[lid + s]; }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}
fn wg_max(lid: u32, v: f32) -> f32 {
  red[lid] = v;
  workgroupBarrier();
  for (var s = ${wg / 2}u; s > 0u; s = s >> 1u) {
    if (lid < s) { red[lid] = max(red[lid], red[lid + s]); }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}
`;
}

/** Row index of a workgroup in a 2-D grid of rows. */
export const ROW_INDEX = "(wid.x + wid.y * nwg.x)";
