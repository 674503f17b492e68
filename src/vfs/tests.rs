//! Unit tests of the sandbox on real temporary directories.

use super::*;

/// A temporary directory tree, removed when dropped.
struct Tree {
    base: PathBuf,
}

impl Tree {
    fn new() -> Tree {
        let base = std::env::temp_dir().join(format!("rmcp-vfs-test-{}", files_random()));
        std::fs::create_dir_all(base.join("root/sub")).expect("root");
        std::fs::create_dir_all(base.join("outside")).expect("outside");
        std::fs::write(base.join("root/data.csv"), "x\n1\n").expect("data");
        std::fs::write(base.join("root/sub/deep.json"), "[]").expect("deep");
        std::fs::write(base.join("root/script.sh"), "echo").expect("script");
        std::fs::write(base.join("outside/secret.csv"), "s\n1\n").expect("secret");
        Tree { base }
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.base.join(relative)
    }

    fn vfs(&self, writable: bool, max_bytes: u64) -> Vfs {
        Vfs::new(&VfsConfig {
            enabled: true,
            read_roots: vec![self.path("root")],
            writable_roots: if writable {
                vec![self.path("root/sub")]
            } else {
                Vec::new()
            },
            max_bytes,
        })
        .expect("vfs")
    }
}

impl Drop for Tree {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.base);
    }
}

fn files_random() -> String {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).expect("random");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether a message shows a real path other than the one the client gave.
fn leaks(tree: &Tree, error: &VfsError, given: &str) -> bool {
    let text = error.to_string().replace(given, "<given>");
    text.contains(&*tree.base.to_string_lossy()) || text.contains("rmcp-staging")
}

#[test]
fn reads_inside_the_root_are_staged_copies() {
    let tree = Tree::new();
    let vfs = tree.vfs(false, DEFAULT_MAX_BYTES);
    let staged = vfs.stage_read("data.csv", &["csv"]).expect("readable");
    assert_eq!(
        std::fs::read_to_string(&staged.path).expect("copy"),
        "x\n1\n"
    );
    assert_eq!(staged.size, 4);
    assert!(staged.modified.as_deref().is_some_and(|m| m.ends_with('Z')));
    let staged_path = staged.path.clone();
    drop(staged);
    assert!(!staged_path.exists(), "the copy is removed when dropped");
    let absolute = tree.path("root/sub/deep.json");
    assert!(vfs
        .stage_read(&absolute.to_string_lossy(), &["json"])
        .is_ok());
}

#[test]
fn escapes_are_refused_without_leaking_paths() {
    let tree = Tree::new();
    let vfs = tree.vfs(false, DEFAULT_MAX_BYTES);
    std::os::unix::fs::symlink(tree.path("outside/secret.csv"), tree.path("root/link.csv"))
        .expect("symlink");
    std::os::unix::fs::symlink(tree.path("outside"), tree.path("root/out")).expect("dir link");
    let secret = tree.path("outside/secret.csv");
    for given in [
        "../outside/secret.csv",
        "sub/../../outside/secret.csv",
        &*secret.to_string_lossy(),
        "/etc/passwd.csv",
        "link.csv",
        "out/secret.csv",
        "out/missing.csv",
        "../outside/missing.csv",
    ] {
        let error = vfs.stage_read(given, &["csv"]).expect_err(given);
        assert!(
            matches!(error, VfsError::Outside { .. }),
            "{given}: {error:?}"
        );
        assert!(!leaks(&tree, &error, given), "{given}: {error}");
    }
    assert!(matches!(
        vfs.stage_read("missing.csv", &["csv"]),
        Err(VfsError::NotFound { .. })
    ));
}

#[test]
fn urls_extensions_folders_and_size_are_refused() {
    let tree = Tree::new();
    let vfs = tree.vfs(false, 3);
    for given in [
        "https://example.com/x.csv",
        "file:///etc/passwd",
        "s3://b/k.csv",
    ] {
        assert!(matches!(
            vfs.stage_read(given, &["csv"]),
            Err(VfsError::Remote { .. })
        ));
    }
    assert!(matches!(
        vfs.stage_read("script.sh", &[]),
        Err(VfsError::Extension { .. })
    ));
    assert!(matches!(
        vfs.stage_read("data.csv", &["json"]),
        Err(VfsError::Extension { .. })
    ));
    let error = vfs.stage_read("data.csv", &["csv"]).expect_err("too large");
    assert!(matches!(
        error,
        VfsError::TooLarge {
            size: 4,
            limit: 3,
            ..
        }
    ));
    std::fs::create_dir(tree.path("root/folder.csv")).expect("dir");
    let vfs = tree.vfs(false, DEFAULT_MAX_BYTES);
    assert!(matches!(
        vfs.stage_read("folder.csv", &["csv"]),
        Err(VfsError::WrongKind { .. })
    ));
    assert!(matches!(vfs.stage_read("", &["csv"]), Err(VfsError::Empty)));
}

#[test]
fn writes_need_a_writable_root_or_a_grant() {
    let tree = Tree::new();
    let vfs = tree.vfs(false, DEFAULT_MAX_BYTES);
    let error = vfs
        .prepare_write("s1", "out.csv", &["csv"])
        .expect_err("read-only");
    assert!(matches!(error, VfsError::ReadOnly { .. }), "{error:?}");
    assert!(!leaks(&tree, &error, "out.csv"));
    assert_eq!(vfs.grant_write("s1", "sub").expect("grant"), 1);
    assert!(vfs.prepare_write("s2", "sub/out.csv", &["csv"]).is_err());
    let target = vfs
        .prepare_write("s1", "sub/out.csv", &["csv"])
        .expect("granted");
    std::fs::write(&target.staged, "a\n1\n").expect("tool writes the staging file");
    assert_eq!(vfs.commit(target).expect("commit"), 4);
    assert_eq!(
        std::fs::read_to_string(tree.path("root/sub/out.csv")).expect("written"),
        "a\n1\n"
    );
    assert!(matches!(
        vfs.prepare_write("s1", "../outside/x.csv", &["csv"]),
        Err(VfsError::Outside { .. })
    ));
    assert!(matches!(
        vfs.prepare_write("s1", "sub/out.exe", &["csv"]),
        Err(VfsError::Extension { .. })
    ));
    assert!(matches!(
        vfs.prepare_write("s1", "sub/nope/out.csv", &["csv"]),
        Err(VfsError::NotFound { .. })
    ));
    assert!(matches!(
        vfs.grant_write("s1", "../outside"),
        Err(VfsError::Outside { .. })
    ));
    assert!(vfs.revoke_write("s1", "sub").expect("revoke"));
    assert!(vfs.prepare_write("s1", "sub/out.csv", &["csv"]).is_err());
}

#[test]
fn links_at_the_destination_and_oversized_output_are_refused() {
    let tree = Tree::new();
    let vfs = tree.vfs(true, 10);
    std::os::unix::fs::symlink(
        tree.path("outside/secret.csv"),
        tree.path("root/sub/evil.csv"),
    )
    .expect("symlink");
    assert!(matches!(
        vfs.prepare_write("s", "sub/evil.csv", &["csv"]),
        Err(VfsError::Link { .. })
    ));
    let target = vfs
        .prepare_write("s", "sub/big.csv", &["csv"])
        .expect("writable root");
    std::fs::write(&target.staged, "0123456789abc").expect("staging");
    assert!(matches!(vfs.commit(target), Err(VfsError::TooLarge { .. })));
    assert!(!tree.path("root/sub/big.csv").exists());
    assert_eq!(
        std::fs::read_to_string(tree.path("outside/secret.csv")).expect("untouched"),
        "s\n1\n"
    );
}

#[test]
fn listings_show_readable_files_and_stay_inside() {
    let tree = Tree::new();
    let vfs = tree.vfs(true, DEFAULT_MAX_BYTES);
    std::os::unix::fs::symlink(tree.path("outside"), tree.path("root/out")).expect("dir link");
    let names: Vec<String> = vfs
        .list_dir(0, "")
        .expect("list")
        .into_iter()
        .map(|entry| entry.name)
        .collect();
    assert_eq!(names, ["data.csv", "sub"]);
    assert!(vfs.list_dir(0, "out").is_err());
    assert!(vfs.read_bytes(0, "../outside/secret.csv").is_err());
    assert_eq!(vfs.read_bytes(0, "data.csv").expect("bytes"), b"x\n1\n");
    let roots: Vec<&str> = vfs.roots().iter().map(|root| root.name.as_str()).collect();
    assert_eq!(roots, ["root", "sub"]);
    let located = vfs.locate(
        &tree
            .path("root/sub/deep.json")
            .canonicalize()
            .expect("real"),
    );
    assert_eq!(
        located,
        [
            (0, "sub/deep.json".to_string()),
            (1, "deep.json".to_string())
        ]
    );
}

#[test]
fn disabled_refuses_everything() {
    let tree = Tree::new();
    let vfs = Vfs::new(&VfsConfig {
        enabled: false,
        read_roots: vec![tree.path("root")],
        writable_roots: Vec::new(),
        max_bytes: DEFAULT_MAX_BYTES,
    })
    .expect("vfs");
    assert!(matches!(
        vfs.stage_read("data.csv", &["csv"]),
        Err(VfsError::Disabled)
    ));
    assert!(vfs.roots().is_empty());
}

#[test]
fn staging_left_by_a_dead_process_is_swept() {
    // No process has the largest pid, so its folder is stale.
    let stale = std::env::temp_dir()
        .canonicalize()
        .expect("temp")
        .join(format!("rmcp-staging-4294967295-{}", files_random()));
    std::fs::create_dir(&stale).expect("stale folder");
    std::fs::write(stale.join("left.csv"), "x").expect("left file");
    let tree = Tree::new();
    let _vfs = tree.vfs(false, DEFAULT_MAX_BYTES);
    assert!(
        !stale.exists(),
        "the dead process's staging folder is removed"
    );
}

#[test]
fn timestamps_are_iso_utc() {
    let time = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000);
    assert_eq!(
        files::iso8601(time).as_deref(),
        Some("2023-11-14T22:13:20Z")
    );
}

use std::time::SystemTime;
