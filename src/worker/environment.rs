//! What a worker inherits from the server's environment, read once when the
//! configuration is built ([`InheritedEnv::capture`], kept in
//! `WorkerConfig::environment`): R's home, the locale and time zone, and R's
//! library paths. Spawning a worker or checking whether a package is
//! installed then reads these captured values, never the process
//! environment. Nothing else of the server's environment (an API key, other
//! secrets) is captured, so nothing else can reach a worker.
//!
//! It does not build a worker's whole environment (`process` adds the
//! worker's own folders and limits) and it applies no sandbox.

use std::path::PathBuf;

/// Variables passed on to a worker when their values look sane: the
/// locale, the time zone and R's library paths.
fn passed_on(name: &str, value: &str) -> bool {
    let looks_like_locale = |value: &str| {
        value.len() <= 64
            && value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-@".contains(c))
    };
    let passed = match name {
        "LANG" | "LANGUAGE" => looks_like_locale(value),
        "TZ" => true,
        name if name.starts_with("LC_") => looks_like_locale(value),
        "R_LIBS" | "R_LIBS_SITE" | "R_LIBS_USER" => true,
        _ => false,
    };
    passed && value.len() <= 4096
}

/// The R library path variables, read as folder lists.
const LIBRARY_VARIABLES: [&str; 3] = ["R_LIBS", "R_LIBS_SITE", "R_LIBS_USER"];

/// The server's environment as workers see it, captured at start-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InheritedEnv {
    /// R's home (`R_HOME`, else the one R was found in at build time).
    pub r_home: String,
    /// Allowlisted variables passed on as they were (locale, `TZ`, R's
    /// library paths), in the environment's order.
    pub passed: Vec<(String, String)>,
    /// The host's time zone name, for workers when the server has no `TZ`
    /// (without one, R's `Sys.timezone()` runs `timedatectl`, which the
    /// sandbox forbids).
    pub host_time_zone: String,
    /// R's library folders: R_HOME's `library` and `site-library`, the
    /// Debian ones, and the `R_LIBS*` paths.
    pub library_dirs: Vec<PathBuf>,
}

impl InheritedEnv {
    /// Reads the process environment once. Call it while the configuration
    /// is built, never on a call path.
    pub fn capture() -> InheritedEnv {
        let r_home =
            std::env::var("R_HOME").unwrap_or_else(|_| env!("RMCP_BUILD_R_HOME").to_string());
        let passed = std::env::vars()
            .filter(|(name, value)| passed_on(name, value))
            .collect();
        let mut library_dirs = vec![
            PathBuf::from(&r_home).join("library"),
            PathBuf::from(&r_home).join("site-library"),
            PathBuf::from("/usr/lib/R/site-library"),
            PathBuf::from("/usr/local/lib/R/site-library"),
        ];
        for variable in LIBRARY_VARIABLES {
            if let Some(value) = std::env::var_os(variable) {
                library_dirs.extend(std::env::split_paths(&value));
            }
        }
        InheritedEnv {
            r_home,
            passed,
            host_time_zone: host_time_zone(),
            library_dirs,
        }
    }

    /// Whether package `name` is installed in one of R's library folders.
    pub fn installed(&self, name: &str) -> bool {
        self.library_dirs
            .iter()
            .any(|dir| dir.join(name).join("DESCRIPTION").is_file())
    }
}

/// The host's time zone name (Debian's /etc/timezone, else the target of
/// /etc/localtime), or UTC.
fn host_time_zone() -> String {
    if let Ok(text) = std::fs::read_to_string("/etc/timezone") {
        let zone = text.trim();
        if !zone.is_empty() && zone.len() < 64 {
            return zone.to_string();
        }
    }
    std::fs::read_link("/etc/localtime")
        .ok()
        .and_then(|target| {
            let target = target.to_string_lossy().into_owned();
            target
                .split_once("zoneinfo/")
                .map(|(_, zone)| zone.to_string())
        })
        .unwrap_or_else(|| "UTC".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Secrets and odd locale values stay behind; the locale, the time zone
    /// and R's library paths pass.
    #[test]
    fn only_allowlisted_sane_variables_pass() {
        assert!(passed_on("LANG", "en_US.UTF-8"));
        assert!(passed_on("LC_ALL", "C.UTF-8"));
        assert!(passed_on("TZ", "Europe/Paris"));
        assert!(passed_on("R_LIBS_USER", "/home/r/lib"));
        assert!(!passed_on("LANG", "en_US.UTF-8; rm -rf /"));
        assert!(!passed_on("RMCP_API_KEY", "secret"));
        assert!(!passed_on("AWS_SECRET_ACCESS_KEY", "secret"));
        assert!(!passed_on("R_LIBS", &"x".repeat(5000)));
    }
}
