//! The content-addressed archive: every received file, byte for byte, at
//! `archive/<first two hex digits>/<sha256>`, owner-only. Files rejected as
//! a whole are also copied to `quarantine/` under their own name, for
//! operators to look at.

use std::io::Write;
use std::path::{Path, PathBuf};

/// The archive and quarantine folders under the data folder.
#[derive(Debug, Clone)]
pub struct Archive {
    root: PathBuf,
    quarantine: PathBuf,
}

fn private_dir(p: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(p)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// Writes `bytes` to `path` atomically (temporary file, rename), mode 600.
/// Not flushed to the disk: [`Archive::sync`] does that for a whole group
/// of files at once, before the database records them.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    // A temporary name of its own: two threads may store the same bytes.
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = path.with_extension(format!("{}-{n}.tmp", std::process::id()));
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(&tmp)?;
    f.write_all(bytes)?;
    drop(f);
    std::fs::rename(&tmp, path)
}

impl Archive {
    pub fn new(data: &Path) -> Self {
        Archive {
            root: data.join("archive"),
            quarantine: data.join("quarantine"),
        }
    }

    /// Where a file with this hash lives.
    pub fn path_of(&self, sha256: &str) -> PathBuf {
        self.root.join(sha256.get(..2).unwrap_or("00")).join(sha256)
    }

    /// Stores the bytes (once; the same content is written only once),
    /// not yet flushed to the disk: call [`Archive::sync`] before recording
    /// them. A file already there is trusted only if it holds these bytes
    /// (a machine that lost power before the flush may have left it empty).
    ///
    /// # Errors
    /// I/O errors.
    pub fn put(&self, sha256: &str, bytes: &[u8]) -> std::io::Result<PathBuf> {
        let path = self.path_of(sha256);
        if std::fs::metadata(&path).is_ok_and(|m| m.len() == bytes.len() as u64)
            && crate::ingest::hash_file(&path).is_ok_and(|(h, _)| h == sha256)
        {
            return Ok(path);
        }
        // The folders are made owner-only once, when first needed (not
        // again for every file).
        if let Some(dir) = path.parent().filter(|d| !d.is_dir()) {
            private_dir(&self.root)?;
            private_dir(dir)?;
        }
        write_private(&path, bytes)?;
        Ok(path)
    }

    /// Keeps a copy of a refused file in quarantine, named after the original.
    ///
    /// # Errors
    /// I/O errors.
    pub fn quarantine(&self, sha256: &str, name: &str, bytes: &[u8]) -> std::io::Result<PathBuf> {
        private_dir(&self.quarantine)?;
        // Named after the original, cleaned and bounded whatever its length
        // or bytes (a 255-byte name plus a prefix is too long for the disk).
        let ext = crate::text::safe_extension(name);
        let safe = if ext.is_empty() {
            crate::text::safe_file_stem(name)
        } else {
            format!("{}.{ext}", crate::text::safe_file_stem(name))
        };
        let path = self
            .quarantine
            .join(format!("{}-{safe}", sha256.get(..12).unwrap_or(sha256)));
        write_private(&path, bytes)?;
        Ok(path)
    }

    /// Flushes files written by [`Archive::put`] (and their folders) to the
    /// disk: one `syncfs` of the archive's file system on Linux, a flush
    /// per file and folder elsewhere. One call for a group of files instead
    /// of one per file.
    ///
    /// # Errors
    /// I/O errors.
    pub fn sync(&self, written: &[&Path]) -> std::io::Result<()> {
        if written.is_empty() {
            return Ok(());
        }
        #[cfg(target_os = "linux")]
        {
            use std::os::fd::AsRawFd;
            let root = std::fs::File::open(&self.root)?;
            // SAFETY: `syncfs` only reads the descriptor, which `root` keeps open.
            if unsafe { libc::syncfs(root.as_raw_fd()) } == 0 {
                return Ok(());
            }
        }
        let mut folders = std::collections::BTreeSet::new();
        for p in written {
            std::fs::File::open(p)?.sync_all()?;
            if let Some(d) = p.parent() {
                folders.insert(d.to_path_buf());
            }
        }
        for d in folders {
            std::fs::File::open(d)?.sync_all()?;
        }
        Ok(())
    }

    /// Deletes an archived original (after the retention period).
    ///
    /// # Errors
    /// I/O errors other than the file being already gone.
    pub fn purge(&self, path: &Path) -> std::io::Result<()> {
        match std::fs::remove_file(path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }
}
