// The workgroup tree sum: WORKGROUP_SIZE threads each give one `Lane` and lanes[0] ends up holding their sum.
// The module that includes this declares `alias Lane = f32;` (or vec4<f32>). Call from uniform control flow:
// it has barriers.

var<workgroup> lanes: array<Lane, WORKGROUP_SIZE>;

fn sum_lanes(lid: u32, value: Lane) {
    lanes[lid] = value;
    workgroupBarrier();
    for (var half = WORKGROUP_SIZE / 2u; half > 0u; half /= 2u) {
        if (lid < half) {
            lanes[lid] += lanes[lid + half];
        }
        workgroupBarrier();
    }
}
