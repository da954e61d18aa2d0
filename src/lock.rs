//! One writer at a time: an operating-system lock on `<data>/essaim.lock`,
//! shared by `run`, `reimport` and the jobs of `serve`. The kernel releases
//! it when the process ends, however it ends, so a killed process never
//! leaves an obstacle behind.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The held lock; released on drop.
#[derive(Debug)]
pub struct DataLock {
    _file: File,
    pub path: PathBuf,
}

/// Why the lock could not be had.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("another essaim process is writing to {0} (waited {1} s); try again later")]
    Busy(PathBuf, u64),
    #[error("cannot open the lock file {0}: {1}")]
    Io(PathBuf, std::io::Error),
    /// Files written now would belong to another user, and the service
    /// could no longer write them.
    #[error("the data folder {path} belongs to {owner}, and this command runs as {me}: run it as its owner (sudo -u {sudo_user} essaim ...), or files it writes will be unwritable for the service")]
    NotOwner {
        path: PathBuf,
        owner: String,
        me: String,
        /// The owner as `sudo -u` takes it (`essaim`, or `'#998'`).
        sudo_user: String,
    },
}

/// A user's name from /etc/passwd.
#[cfg(unix)]
fn user_name(uid: u32) -> Option<String> {
    std::fs::read_to_string("/etc/passwd").ok().and_then(|t| {
        t.lines().find_map(|l| {
            let mut f = l.split(':');
            let name = f.next()?;
            (f.nth(1)?.parse::<u32>().ok()? == uid).then(|| name.to_string())
        })
    })
}

/// Refuses to work on a data folder that belongs to another user.
fn check_owner(data: &Path) -> Result<(), LockError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let Ok(meta) = std::fs::metadata(data) else {
            return Ok(());
        };
        // SAFETY: geteuid has no preconditions and cannot fail.
        let me = unsafe { libc::geteuid() };
        if meta.uid() != me {
            let owner = user_name(meta.uid());
            return Err(LockError::NotOwner {
                path: data.to_path_buf(),
                sudo_user: owner
                    .clone()
                    .unwrap_or_else(|| format!("'#{}'", meta.uid())),
                owner: owner.unwrap_or_else(|| format!("uid {}", meta.uid())),
                me: user_name(me).unwrap_or_else(|| format!("uid {me}")),
            });
        }
    }
    Ok(())
}

/// Takes the lock, waiting up to `wait` for another process to release it.
///
/// # Errors
/// [`LockError::Busy`] after the wait, [`LockError::Io`] if the lock file
/// cannot be opened, [`LockError::NotOwner`] when the data folder belongs
/// to another user.
pub fn acquire(data: &Path, wait: Duration) -> Result<DataLock, LockError> {
    check_owner(data)?;
    // Everything under the data folder is owner-only, whatever the umask.
    crate::store::private_umask();
    std::fs::create_dir_all(data).map_err(|e| LockError::Io(data.to_path_buf(), e))?;
    let path = data.join("essaim.lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| LockError::Io(path.clone(), e))?;
    let start = Instant::now();
    let mut announced = false;
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(DataLock { _file: file, path }),
            Err(std::fs::TryLockError::WouldBlock) => {
                if start.elapsed() >= wait {
                    return Err(LockError::Busy(path, wait.as_secs()));
                }
                if !announced {
                    tracing::info!(lock = %path.display(), "waiting for another essaim process to finish");
                    announced = true;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(LockError::Io(path, e)),
        }
    }
}
