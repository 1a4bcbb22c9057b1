//! Which of wgpu's runtime checks the shaders are compiled with (natively; the browser's WebGPU always checks).

use std::fmt;

/// wgpu's runtime checks, each kept (true) or left out. Natively the engine keeps the bounds checks alone
/// (`Default`): memory safety stays wgpu's to enforce, as Chrome's WebGPU enforces it, while the loop bounds and
/// division guards, which the kernels make needless and which cost 10 to 20% of an optimisation step on lavapipe,
/// go. The benchmark measures any choice; `tests/*_unchecked.rs` check that the kernels need none. Each can be
/// left out because of what the kernels guarantee themselves, given the shapes their wrappers in src/kernels/
/// assert (src/kernels/shape_rules.rs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShaderChecks {
    /// Every buffer index checked or clamped. The kernels guard their own indices.
    pub bounds: bool,
    /// Every loop given an iteration limit, against loops that never end. Every loop in shaders/ ends: its bounds
    /// are the kernel's parameters and constants.
    pub loop_bounding: bool,
    /// Integer division and remainder guarded against a zero divisor. No divisor in shaders/ is zero: they are
    /// constants, or sizes the wrappers check are positive.
    pub division_guards: bool,
}

impl ShaderChecks {
    pub const ALL: ShaderChecks = ShaderChecks {
        bounds: true,
        loop_bounding: true,
        division_guards: true,
    };
    /// The bounds checks alone: the native default.
    pub const BOUNDS: ShaderChecks = ShaderChecks {
        bounds: true,
        loop_bounding: false,
        division_guards: false,
    };
    pub const NONE: ShaderChecks = ShaderChecks {
        bounds: false,
        loop_bounding: false,
        division_guards: false,
    };
    /// The names `parse` and `Display` use, in order.
    const NAMES: [&'static str; 3] = ["bounds", "loops", "division"];

    /// "all", "none", or the checks kept, comma-separated, of "bounds", "loops" and "division".
    pub fn parse(text: &str) -> Result<ShaderChecks, String> {
        match text {
            "all" => return Ok(ShaderChecks::ALL),
            "none" => return Ok(ShaderChecks::NONE),
            _ => {}
        }
        let mut checks = ShaderChecks::NONE;
        for name in text.split(',').map(str::trim) {
            match name {
                "bounds" => checks.bounds = true,
                "loops" => checks.loop_bounding = true,
                "division" => checks.division_guards = true,
                _ => {
                    return Err(format!(
                        "unknown shader check {name:?}: give all, none, or those kept of {}",
                        Self::NAMES.join(", ")
                    ));
                }
            }
        }
        Ok(checks)
    }

    /// As wgpu takes them.
    pub(super) fn runtime_checks(self) -> wgpu::ShaderRuntimeChecks {
        let mut checks = wgpu::ShaderRuntimeChecks::checked();
        checks.bounds_checks = self.bounds;
        checks.force_loop_bounding = self.loop_bounding;
        checks.int_div_checks = self.division_guards;
        checks
    }

    fn kept(self) -> [bool; 3] {
        [self.bounds, self.loop_bounding, self.division_guards]
    }
}

impl Default for ShaderChecks {
    fn default() -> ShaderChecks {
        ShaderChecks::BOUNDS
    }
}

/// "all", "none", or the checks kept: "bounds,loops".
impl fmt::Display for ShaderChecks {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match *self {
            ShaderChecks::ALL => f.write_str("all"),
            ShaderChecks::NONE => f.write_str("none"),
            _ => {
                let kept: Vec<&str> = Self::NAMES
                    .iter()
                    .zip(self.kept())
                    .filter_map(|(name, on)| on.then_some(*name))
                    .collect();
                f.write_str(&kept.join(","))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_parse_and_print_alike() {
        for text in ["all", "none", "bounds", "loops,division", "bounds,division"] {
            assert_eq!(ShaderChecks::parse(text).unwrap().to_string(), text);
        }
        assert_eq!(ShaderChecks::parse("bounds,loops,division"), Ok(ShaderChecks::ALL));
        assert_eq!(ShaderChecks::parse("bounds"), Ok(ShaderChecks::default()));
        let kept = ShaderChecks::default().runtime_checks();
        assert!(kept.bounds_checks && !kept.force_loop_bounding && !kept.int_div_checks);
        assert!(
            ShaderChecks::parse("bound")
                .unwrap_err()
                .contains("unknown shader check \"bound\"")
        );
    }
}
