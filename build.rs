//! Build script: finds the R installation, links `libR.so` with an rpath so
//! the `rmcp` binary runs without `LD_LIBRARY_PATH`, and embeds every R script
//! under `r/` into the binary (see `src/r/sources.rs`).
//!
//! It fails early with the apt packages to install when R or its headers are
//! missing, instead of letting the linker fail with an obscure message.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const INSTALL_HINT: &str =
    "install R and its headers first: `sudo apt-get install r-base-core r-base-dev` \
     (Debian 12 / Ubuntu), or run `deploy/install-deps.sh`, which installs everything `make` needs";

fn main() {
    println!("cargo:rerun-if-env-changed=R_HOME");
    println!("cargo:rerun-if-changed=r");

    let r_home = find_r_home();
    let lib_dir = r_home.join("lib");
    if !lib_dir.join("libR.so").exists() {
        fail(&format!(
            "R was found at {} but {} is missing: R must be built as a shared library; {INSTALL_HINT}",
            r_home.display(),
            lib_dir.join("libR.so").display()
        ));
    }
    let include_dir = r_include_dir(&r_home);
    if !include_dir.join("R.h").exists() || !include_dir.join("Rinterface.h").exists() {
        fail(&format!(
            "R's C headers (R.h, Rinterface.h) were not found; {INSTALL_HINT}"
        ));
    }

    println!("cargo:rustc-link-search=native={}", lib_dir.display());
    println!("cargo:rustc-link-lib=dylib=R");
    // An rpath, so the binary finds libR.so wherever R lives, without
    // LD_LIBRARY_PATH (Debian also ships /usr/lib/libR.so, others do not).
    println!("cargo:rustc-link-arg=-Wl,-rpath,{}", lib_dir.display());
    println!("cargo:rustc-env=RMCP_BUILD_R_HOME={}", r_home.display());

    embed_r_sources();
}

fn fail(message: &str) -> ! {
    eprintln!("\nerror: {message}\n");
    panic!("{message}");
}

/// `R_HOME` if set, else what `R RHOME` prints.
fn find_r_home() -> PathBuf {
    if let Ok(home) = env::var("R_HOME") {
        if !home.is_empty() {
            return PathBuf::from(home);
        }
    }
    match Command::new("R").args(["RHOME"]).output() {
        Ok(out) if out.status.success() => {
            let home = String::from_utf8_lossy(&out.stdout).trim().to_string();
            if home.is_empty() {
                fail(&format!("`R RHOME` printed nothing; {INSTALL_HINT}"));
            }
            PathBuf::from(home)
        }
        _ => fail(&format!(
            "R was not found on PATH and R_HOME is not set; {INSTALL_HINT}"
        )),
    }
}

/// Debian keeps the headers in /usr/share/R/include; R built from source in
/// R_HOME/include. `R CMD config --cppflags` knows which.
fn r_include_dir(r_home: &Path) -> PathBuf {
    let r = r_home.join("bin").join("R");
    if let Ok(out) = Command::new(&r)
        .args(["CMD", "config", "--cppflags"])
        .output()
    {
        let flags = String::from_utf8_lossy(&out.stdout);
        if let Some(dir) = flags.split_whitespace().find_map(|f| f.strip_prefix("-I")) {
            return PathBuf::from(dir);
        }
    }
    r_home.join("include")
}

/// Writes `$OUT_DIR/r_sources.rs`: every `r/**/*.R` as `(relative path,
/// include_str!(absolute path))`, in load order (common/ first, then the
/// rest, each sorted by path).
fn embed_r_sources() {
    let root =
        PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
            .join("r");
    let mut files = Vec::new();
    collect_r_files(&root, &mut files);
    files.sort_by_key(|path| {
        let relative = path.strip_prefix(&root).unwrap_or(path).to_path_buf();
        (!relative.starts_with("common"), relative)
    });
    let mut out = String::from("/// Every R script under `r/`, in load order.\npub static R_SOURCES: &[(&str, &str)] = &[\n");
    for path in &files {
        let relative = path.strip_prefix(&root).unwrap_or(path);
        println!("cargo:rerun-if-changed={}", path.display());
        out.push_str(&format!(
            "    ({:?}, include_str!({:?})),\n",
            relative.display().to_string(),
            path.display().to_string()
        ));
    }
    out.push_str("];\n");
    let dest = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("r_sources.rs");
    fs::write(dest, out).expect("OUT_DIR is writable");
}

fn collect_r_files(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            println!("cargo:rerun-if-changed={}", path.display());
            collect_r_files(&path, files);
        } else if path.extension().is_some_and(|e| e == "R") {
            files.push(path);
        }
    }
}
