//! The sandbox an R worker puts itself in, in two steps.
//!
//! Before R starts, while the worker has one thread ([`apply_before_r`]:
//! landlock binds only the calling thread and the threads it creates later,
//! so every thread of the worker is confined):
//!
//! 1. rlimits, hard = soft so nothing inside can raise them: address space
//!    and data size (the session's memory cap), CPU seconds over the
//!    worker's life, largest file written, open files, no core dumps.
//! 2. landlock: read-only R's installation, libraries, fonts, time zones and
//!    the roots the server lists; read-write only the worker's own folder
//!    (its temp directory, working directory and home) and directories the
//!    session was granted. TCP bind/connect, abstract Unix sockets and
//!    signals to processes outside the sandbox are refused too.
//!    R's start-up may still run three programs (`sh`, `which`, `uname`:
//!    package utils asks for the OS version when it loads); nothing else is
//!    executable.
//!
//! After R and its base packages are loaded, before any user code
//! ([`apply_after_r`], on every thread at once):
//!
//! 3. seccomp (default allow, a deny list answering `EPERM`): no new
//!    programs (execve), no new processes (fork, vfork, clone without
//!    `CLONE_THREAD`; clone3 answers `ENOSYS` so glibc falls back to clone,
//!    whose flags can be checked), no sockets, no tracing or reading other
//!    processes, no signals or rlimit changes aimed at other processes, no
//!    namespaces, mounts, keyrings, BPF, perf or io_uring; x32 system calls
//!    are refused wholesale (they would dodge the syscall numbers above).
//!
//! Each layer's success goes into the [`SandboxReport`]; the server decides
//! whether a partial sandbox may run free-form R. This file does not know R.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use landlock::{
    Access, AccessFs, AccessNet, BitFlags, PathBeneath, PathFd, Ruleset, RulesetAttr,
    RulesetCreatedAttr, RulesetStatus, Scope, ABI,
};
use rustix::process::{setrlimit, Resource, Rlimit};
use seccompiler::{
    BpfProgram, SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter,
    SeccompRule, TargetArch,
};

use super::protocol::SandboxReport;

/// The landlock ABI the rules are written for (Linux 6.15; this feature set
/// is tested). Newer kernels enforce it fully; older ones partially.
const LANDLOCK_ABI: ABI = ABI::V7;

/// Address space a worker needs beyond its data cap: shared libraries (R,
/// BLAS, ICU), thread stacks and malloc's reserved arenas.
const ADDRESS_SPACE_OVERHEAD: u64 = 3 << 30;

/// What one worker may use and reach.
#[derive(Debug, Clone)]
pub struct SandboxPlan {
    /// Directories (and single files) readable, never writable.
    pub read_paths: Vec<PathBuf>,
    /// Directories readable and writable: the worker's folder and granted
    /// directories.
    pub write_paths: Vec<PathBuf>,
    /// Private memory cap (RLIMIT_DATA); the address space gets
    /// [`ADDRESS_SPACE_OVERHEAD`] more.
    pub memory_bytes: u64,
    /// CPU seconds over the worker's whole life (RLIMIT_CPU): past it the
    /// kernel kills the worker and the session's workspace is reset.
    pub cpu_seconds: u64,
    /// Largest file the worker may write (RLIMIT_FSIZE).
    pub max_file_bytes: u64,
    /// Open files at once (RLIMIT_NOFILE).
    pub open_files: u64,
}

/// System folders a worker reads: R itself, shared libraries, locale and
/// time-zone data, fonts for plots. `/etc` as a whole stays closed (no
/// `/etc/passwd`).
pub fn system_read_paths(r_home: &Path) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = vec![r_home.to_path_buf()];
    for path in [
        "/usr/lib/R",
        "/usr/share/R",
        "/usr/local/lib/R",
        "/etc/R",
        "/usr/lib/x86_64-linux-gnu",
        "/lib/x86_64-linux-gnu",
        "/usr/lib64",
        "/lib64",
        "/usr/lib/locale",
        "/usr/share/locale",
        "/usr/share/i18n",
        "/usr/share/zoneinfo",
        "/usr/share/fonts",
        "/usr/local/share/fonts",
        "/usr/share/fontconfig",
        "/etc/fonts",
        "/var/cache/fontconfig",
        "/etc/ld.so.cache",
        "/etc/localtime",
        "/etc/timezone",
        "/etc/os-release",
        "/usr/lib/os-release",
        "/dev/urandom",
        "/dev/random",
        "/dev/zero",
    ] {
        paths.push(PathBuf::from(path));
    }
    paths
}

/// Programs R's start-up runs (utils' `.onLoad` asks `uname` for the OS
/// version through `system()`); executable only until seccomp is in force.
const START_UP_PROGRAMS: &[&str] = &["/bin/sh", "/usr/bin/which", "/usr/bin/uname"];

/// rlimits and landlock; call before any second thread exists.
pub fn apply_before_r(plan: &SandboxPlan, report: &mut SandboxReport) {
    match apply_rlimits(plan) {
        Ok(()) => report.rlimits = true,
        Err(error) => report.errors.push(format!("rlimits: {error}")),
    }
    match apply_landlock(plan) {
        Ok((status, no_new_privs, abi)) => {
            report.landlock = status;
            report.no_new_privs |= no_new_privs;
            report.landlock_abi = abi;
        }
        Err(error) => {
            report.landlock = "error".into();
            report.errors.push(format!("landlock: {error}"));
        }
    }
}

/// seccomp on every thread; call once R is loaded, before user code runs.
pub fn apply_after_r(report: &mut SandboxReport) {
    match apply_seccomp() {
        Ok(()) => {
            report.seccomp = true;
            // seccompiler sets no_new_privs before installing a filter.
            report.no_new_privs = true;
        }
        Err(error) => report.errors.push(format!("seccomp: {error}")),
    }
}

fn apply_rlimits(plan: &SandboxPlan) -> Result<(), String> {
    let limit = |resource: Resource, value: u64| {
        setrlimit(
            resource,
            Rlimit {
                current: Some(value),
                maximum: Some(value),
            },
        )
        .map_err(|error| format!("{resource:?}: {error}"))
    };
    limit(Resource::Core, 0)?;
    limit(Resource::Data, plan.memory_bytes)?;
    limit(
        Resource::As,
        plan.memory_bytes.saturating_add(ADDRESS_SPACE_OVERHEAD),
    )?;
    limit(Resource::Cpu, plan.cpu_seconds)?;
    limit(Resource::Fsize, plan.max_file_bytes)?;
    limit(Resource::Nofile, plan.open_files)?;
    Ok(())
}

/// Returns the status word, whether no_new_privs is set, and the ABI.
fn apply_landlock(plan: &SandboxPlan) -> Result<(String, bool, i32), String> {
    let text = |error: &dyn std::fmt::Display| error.to_string();
    let abi = LANDLOCK_ABI;
    let read: BitFlags<AccessFs> = AccessFs::from_read(abi);
    let all: BitFlags<AccessFs> = AccessFs::from_all(abi);
    let file_only: BitFlags<AccessFs> = AccessFs::from_file(abi);
    let dev_null = PathBuf::from("/dev/null");
    let readable = plan.read_paths.iter().map(|path| (path, read));
    let writable = plan.write_paths.iter().map(|path| (path, all));
    let devices = std::iter::once((&dev_null, AccessFs::ReadFile | AccessFs::WriteFile));
    let programs: Vec<PathBuf> = START_UP_PROGRAMS.iter().map(PathBuf::from).collect();
    let programs = programs.iter().map(|path| (path, read));
    let mut rules = Vec::new();
    for (path, access) in readable.chain(writable).chain(devices).chain(programs) {
        // Folders that do not exist on this system are simply not granted.
        let Ok(metadata) = std::fs::metadata(path) else {
            continue;
        };
        let access = if metadata.is_dir() {
            access
        } else {
            access & file_only
        };
        let fd = PathFd::new(path).map_err(|e| format!("{}: {e}", path.display()))?;
        rules.push(PathBeneath::new(fd, access));
    }
    let mut ruleset = Ruleset::default()
        .handle_access(all)
        .map_err(|e| text(&e))?
        .handle_access(AccessNet::from_all(abi))
        .map_err(|e| text(&e))?
        .scope(Scope::from_all(abi))
        .map_err(|e| text(&e))?
        .create()
        .map_err(|e| text(&e))?;
    for rule in rules {
        ruleset = ruleset.add_rule(rule).map_err(|e| text(&e))?;
    }
    let status = ruleset.restrict_self().map_err(|e| text(&e))?;
    let word = match status.ruleset {
        RulesetStatus::FullyEnforced => "fully_enforced",
        RulesetStatus::PartiallyEnforced => "partially_enforced",
        RulesetStatus::NotEnforced => "not_enforced",
    };
    let abi_number = match status.landlock {
        landlock::LandlockStatus::Available {
            effective_abi,
            kernel_abi,
        } => kernel_abi.unwrap_or(effective_abi as i32),
        _ => 0,
    };
    Ok((word.to_string(), status.no_new_privs, abi_number))
}

/// `clone` flag that makes a thread rather than a process.
const CLONE_THREAD: u64 = 0x0001_0000;

/// Offsets into `struct seccomp_data` and BPF opcodes, for the x32 filter.
const SECCOMP_DATA_NR: u32 = 0;
const SECCOMP_DATA_ARCH: u32 = 4;
const BPF_LD_W_ABS: u16 = 0x20;
const BPF_JMP_JEQ_K: u16 = 0x05 | 0x10;
const BPF_JMP_JGE_K: u16 = 0x05 | 0x30;
const BPF_RET_K: u16 = 0x06;
const AUDIT_ARCH_X86_64: u32 = 62 | 0x8000_0000 | 0x4000_0000;
const X32_SYSCALL_BIT: u32 = 0x4000_0000;
const SECCOMP_RET_ALLOW: u32 = 0x7fff_0000;
const SECCOMP_RET_ERRNO: u32 = 0x0005_0000;
const SECCOMP_RET_KILL_PROCESS: u32 = 0x8000_0000;

fn apply_seccomp() -> Result<(), String> {
    let text = |error: &dyn std::fmt::Display| error.to_string();
    let own_pid = u64::from(std::process::id());
    let condition = |index: u8, operator: SeccompCmpOp, value: u64| {
        SeccompCondition::new(index, SeccompCmpArgLen::Qword, operator, value).map_err(|e| text(&e))
    };
    let rule =
        |conditions: Vec<SeccompCondition>| SeccompRule::new(conditions).map_err(|e| text(&e));
    let mut denied: BTreeMap<i64, Vec<SeccompRule>> = BTreeMap::new();
    for syscall in [
        libc::SYS_execve,
        libc::SYS_execveat,
        libc::SYS_fork,
        libc::SYS_vfork,
        libc::SYS_socket,
        libc::SYS_socketpair,
        libc::SYS_connect,
        libc::SYS_bind,
        libc::SYS_listen,
        libc::SYS_accept,
        libc::SYS_accept4,
        libc::SYS_ptrace,
        libc::SYS_process_vm_readv,
        libc::SYS_process_vm_writev,
        libc::SYS_process_madvise,
        libc::SYS_kcmp,
        libc::SYS_pidfd_open,
        libc::SYS_pidfd_getfd,
        libc::SYS_pidfd_send_signal,
        libc::SYS_tkill,
        libc::SYS_mount,
        libc::SYS_umount2,
        libc::SYS_pivot_root,
        libc::SYS_chroot,
        libc::SYS_unshare,
        libc::SYS_setns,
        libc::SYS_keyctl,
        libc::SYS_add_key,
        libc::SYS_request_key,
        libc::SYS_bpf,
        libc::SYS_perf_event_open,
        libc::SYS_userfaultfd,
        libc::SYS_io_uring_setup,
        libc::SYS_io_uring_enter,
        libc::SYS_io_uring_register,
        libc::SYS_open_by_handle_at,
        libc::SYS_init_module,
        libc::SYS_finit_module,
        libc::SYS_delete_module,
        libc::SYS_kexec_load,
        libc::SYS_kexec_file_load,
        libc::SYS_reboot,
        libc::SYS_swapon,
        libc::SYS_swapoff,
        libc::SYS_acct,
        libc::SYS_quotactl,
        libc::SYS_fanotify_init,
        libc::SYS_name_to_handle_at,
        libc::SYS_move_mount,
        libc::SYS_open_tree,
        libc::SYS_fsopen,
        libc::SYS_fsmount,
        libc::SYS_fspick,
        libc::SYS_mount_setattr,
    ] {
        denied.insert(syscall, Vec::new());
    }
    // A new process: clone without CLONE_THREAD.
    denied.insert(
        libc::SYS_clone,
        vec![rule(vec![condition(
            0,
            SeccompCmpOp::MaskedEq(CLONE_THREAD),
            0,
        )?])?],
    );
    // Signals, rlimits, priorities and CPU affinity of other processes.
    for syscall in [
        libc::SYS_kill,
        libc::SYS_tgkill,
        libc::SYS_rt_sigqueueinfo,
        libc::SYS_rt_tgsigqueueinfo,
    ] {
        denied.insert(
            syscall,
            vec![rule(vec![condition(0, SeccompCmpOp::Ne, own_pid)?])?],
        );
    }
    for (syscall, index) in [
        (libc::SYS_prlimit64, 0u8),
        (libc::SYS_setpriority, 1),
        (libc::SYS_sched_setaffinity, 0),
        (libc::SYS_sched_setscheduler, 0),
        (libc::SYS_sched_setparam, 0),
        (libc::SYS_sched_setattr, 0),
        (libc::SYS_ioprio_set, 1),
    ] {
        denied.insert(
            syscall,
            vec![rule(vec![
                condition(index, SeccompCmpOp::Ne, 0)?,
                condition(index, SeccompCmpOp::Ne, own_pid)?,
            ])?],
        );
    }
    let arch = TargetArch::x86_64;
    let deny_list = SeccompFilter::new(
        denied,
        SeccompAction::Allow,
        SeccompAction::Errno(libc::EPERM as u32),
        arch,
    )
    .map_err(|e| text(&e))?;
    let deny_list: BpfProgram = deny_list
        .try_into()
        .map_err(|e: seccompiler::BackendError| text(&e))?;
    let mut clone3 = BTreeMap::new();
    clone3.insert(libc::SYS_clone3, Vec::new());
    let clone3 = SeccompFilter::new(
        clone3,
        SeccompAction::Allow,
        SeccompAction::Errno(libc::ENOSYS as u32),
        arch,
    )
    .map_err(|e| text(&e))?;
    let clone3: BpfProgram = clone3
        .try_into()
        .map_err(|e: seccompiler::BackendError| text(&e))?;
    for program in [x32_filter(), deny_list, clone3] {
        seccompiler::apply_filter_all_threads(&program).map_err(|e| text(&e))?;
    }
    Ok(())
}

/// Kills the process on a foreign architecture; refuses x32 system calls.
fn x32_filter() -> BpfProgram {
    let statement = |code: u16, k: u32| seccompiler::sock_filter {
        code,
        jt: 0,
        jf: 0,
        k,
    };
    let jump = |code: u16, k: u32, jt: u8, jf: u8| seccompiler::sock_filter { code, jt, jf, k };
    vec![
        statement(BPF_LD_W_ABS, SECCOMP_DATA_ARCH),
        jump(BPF_JMP_JEQ_K, AUDIT_ARCH_X86_64, 1, 0),
        statement(BPF_RET_K, SECCOMP_RET_KILL_PROCESS),
        statement(BPF_LD_W_ABS, SECCOMP_DATA_NR),
        jump(BPF_JMP_JGE_K, X32_SYSCALL_BIT, 0, 1),
        statement(BPF_RET_K, SECCOMP_RET_ERRNO | libc::ENOSYS as u32),
        statement(BPF_RET_K, SECCOMP_RET_ALLOW),
    ]
}
