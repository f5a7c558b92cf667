// The viewer's one material: a base colour lit by one fixed light, and optionally grid lines
// (the ground's), drawn here rather than as separate lines. bevy's standard material and
// gizmo lines cost far more per pixel on software rendering
// (docs/notebook/2026-11-27-viewer-frame-rate.md).
#import bevy_pbr::forward_io::VertexOutput

@group(#{MATERIAL_BIND_GROUP}) @binding(0) var<uniform> color: vec4<f32>;
// x: spacing in metres (0: no grid), y: reach from z = 0 in metres, z: opacity of the lines.
@group(#{MATERIAL_BIND_GROUP}) @binding(1) var<uniform> grid: vec4<f32>;

@fragment
fn fragment(in: VertexOutput) -> @location(0) vec4<f32> {
    let light = normalize(vec3<f32>(0.35, 0.8, 0.5));
    let shade = 0.4 + 0.6 * max(dot(normalize(in.world_normal), light), 0.0);
    var rgb = color.rgb * shade;
    if grid.x > 0.0 {
        let p = in.world_position.xz / grid.x;
        // Distance to the nearest line, in pixels: one pixel wide, anti-aliased.
        let d = abs(fract(p - 0.5) - 0.5) / max(fwidth(p), vec2<f32>(1e-6));
        let on_line = 1.0 - min(min(d.x, d.y), 1.0);
        let inside = select(0.0, 1.0, abs(in.world_position.z) <= grid.y);
        rgb = mix(rgb, vec3<f32>(0.79), on_line * inside * grid.z);
    }
    return vec4<f32>(rgb, 1.0);
}
