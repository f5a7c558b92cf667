// The hoppers' material: a base colour lit by one fixed light, nothing else. bevy's standard
// material costs far more per pixel on software rendering (README, "Measured").
#import bevy_pbr::forward_io::VertexOutput

@group(#{MATERIAL_BIND_GROUP}) @binding(0) var<uniform> color: vec4<f32>;

@fragment
fn fragment(in: VertexOutput) -> @location(0) vec4<f32> {
    let light = normalize(vec3<f32>(0.35, 0.8, 0.5));
    let shade = 0.4 + 0.6 * max(dot(normalize(in.world_normal), light), 0.0);
    return vec4<f32>(color.rgb * shade, 1.0);
}
