// The flat index of a thread of a one-thread-per-item launch whose workgroups form a 2D grid (grid_1d in
// src/kernels/sizes.rs): WORKGROUP_SIZE threads per workgroup, the grid flattened row by row.
fn flat_index(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return gid.x + gid.y * nwg.x * WORKGROUP_SIZE;
}
