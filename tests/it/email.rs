//! E-mail through a real SMTP server on loopback (Python aiosmtpd, started
//! here) with STARTTLS on a certificate made for the test, and
//! authentication: what arrives is parsed and checked as a reader would see
//! it; faults: server down then up, authentication refused, 4xx then
//! success, 5xx for one recipient.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

use super::util::{drop_into, essaim_with, fixture_files, root, temp_config};

const KEY: (&str, &str) = (
    "ESSAIM_HASH_KEY",
    "test-key-0123456789abcdef0123456789abcdef",
);
const PASSWORD: (&str, &str) = ("ESSAIM_SMTP_PASSWORD", "s3cret");

/// A test CA (trusted through `ca_file`) and a certificate for localhost
/// signed by it, made with openssl: (CA certificate, server cert, server key).
fn certificate(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let p = |n: &str| dir.join(n);
    let openssl = |args: &[&str]| {
        let status = Command::new("openssl")
            .current_dir(dir)
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("openssl is installed");
        assert!(status.success(), "openssl {args:?}");
    };
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=essaim test CA",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
    ]);
    openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=localhost",
        "-keyout",
        "key.pem",
        "-out",
        "server.csr",
    ]);
    std::fs::write(p("ext.cnf"), "basicConstraints=CA:FALSE\nsubjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n").unwrap();
    openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        "ext.cnf",
        "-out",
        "cert.pem",
    ]);
    (p("ca.pem"), p("cert.pem"), p("key.pem"))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The aiosmtpd server, stopped on drop.
struct Server {
    child: Child,
    pub dir: PathBuf,
}

impl Server {
    fn start(port: u16, dir: &Path, cert: &Path, key: &Path, extra: &[&str]) -> Server {
        let received = dir.join("received");
        std::fs::create_dir_all(&received).unwrap();
        let mut child = Command::new("python3")
            .arg(root().join("tests/smtp_server.py"))
            .args([
                "--port",
                &port.to_string(),
                "--user",
                "essaim",
                "--password",
                PASSWORD.1,
            ])
            .arg("--dir")
            .arg(&received)
            .arg("--cert")
            .arg(cert)
            .arg("--key")
            .arg(key)
            .args(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 runs");
        let mut line = String::new();
        BufReader::new(child.stdout.as_mut().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(
            line.trim(),
            "ready",
            "the aiosmtpd server did not start (pip install aiosmtpd)"
        );
        Server {
            child,
            dir: received,
        }
    }

    fn messages(&self) -> Vec<Value> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&self.dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        files
            .iter()
            .map(|p| serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap())
            .collect()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn smtp_config(dir: &Path, port: u16, ca: &Path, extra: &str) -> PathBuf {
    let config = temp_config(dir);
    let mut text = std::fs::read_to_string(&config).unwrap();
    text = text.replace("retry_base_secs = 300", "retry_base_secs = 0");
    text.push_str(&format!(
        "\n[email.smtp]\nhost = \"localhost\"\nport = {port}\nsecurity = \"starttls\"\nusername = \"essaim\"\npassword_env = \"ESSAIM_SMTP_PASSWORD\"\ntimeout_secs = 5\nca_file = \"{}\"\n{extra}",
        ca.display()
    ));
    std::fs::write(&config, text).unwrap();
    config
}

fn by_subject<'a>(msgs: &'a [Value], needle: &str) -> Vec<&'a Value> {
    msgs.iter()
        .filter(|m| m["subject"].as_str().unwrap_or("").contains(needle))
        .collect()
}

#[test]
fn digest_and_feedback_arrive_over_starttls_with_authentication() {
    let dir = tempfile::tempdir().unwrap();
    let (ca, cert, key) = certificate(dir.path());
    let port = free_port();
    let server = Server::start(port, dir.path(), &cert, &key, &[]);
    let config = smtp_config(dir.path(), port, &ca, "");
    drop_into(&dir.path().join("inbox"), &fixture_files("inbox"));
    let run = essaim_with(&config, &["run", "--format", "json"], &[KEY, PASSWORD]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let j = run.json();
    assert_eq!(j["run"]["mail_error"], Value::Null, "{j:#}");
    // A run sends feedback, never the digest: that is `[schedule] digest`'s
    // (or `essaim digest`'s) job.
    assert_eq!(by_subject(&server.messages(), "synthèse").len(), 0);
    let digest = essaim_with(&config, &["digest"], &[KEY, PASSWORD]);
    assert_eq!(digest.code, 0, "{}", digest.stderr);
    let msgs = server.messages();
    // 3 digests (national, TAPAJ, Gironde) and 5 feedbacks (the structure of
    // the refused OPPE file is known too: 5 files, 5 structures).
    let digests = by_subject(&msgs, "synthèse");
    let feedback = by_subject(&msgs, "votre fichier");
    assert_eq!(digests.len(), 3, "{msgs:#?}");
    assert_eq!(feedback.len(), 5);
    for m in &msgs {
        assert_eq!(m["tls"], true, "STARTTLS was used");
        assert_eq!(m["authenticated"], true);
    }
    let national = digests
        .iter()
        .find(|m| m["rcpt"][0] == "financeurs@example.org")
        .expect("national digest");
    assert_eq!(
        national["subject"],
        format!(
            "AIS#Emploi : synthèse du {} (national)",
            chrono::Local::now().format("%d/%m/%Y")
        )
    );
    let text = national["text"].as_str().unwrap();
    // Names in the HTML are escaped as a browser reads them.
    let html = &national["html"].as_str().unwrap().replace("&#x27;", "'");
    for part in [text, html.as_str()] {
        assert!(
            part.contains("Demandeurs d'emploi de longue durée"),
            "{part}"
        );
        assert!(
            part.contains("Taux de sortie en emploi selon la durée de chômage")
                || part.contains("TAUX DE SORTIE EN EMPLOI SELON LA DURÉE DE CHÔMAGE")
        );
        assert!(part.contains("27,8 %"), "Insee reference");
    }
    assert!(
        text.contains("- Demandeurs d'emploi de longue durée : 5"),
        "{text}"
    );
    assert!(
        html.contains("data-indicator=\"deld\"><strong>5</strong>"),
        "{html}"
    );
    // Every innovation × period of the sample counts fewer than 5 people:
    // a sentence instead of an empty chart, and no image.
    assert!(html.contains("id=\"sans-graphique\""), "{html}");
    assert!(!html.contains("cid:graphique"));
    assert_eq!(national["images"].as_array().map_or(0, Vec::len), 0);
    // The TAPAJ reader sees TAPAJ only: 4 DELD there, hidden.
    let tapaj = digests
        .iter()
        .find(|m| m["rcpt"][0] == "tapaj@example.org")
        .unwrap();
    assert!(
        tapaj["text"]
            .as_str()
            .unwrap()
            .contains("- Demandeurs d'emploi de longue durée : < 5"),
        "{}",
        tapaj["text"]
    );
    assert!(!tapaj["text"].as_str().unwrap().contains("SOLENI"));
    // Feedback to SOLENI-MTP-04 lists rows and reasons, no values, and attaches the CSV.
    let soleni = feedback
        .iter()
        .find(|m| m["subject"].as_str().unwrap().contains("SOLENI-MTP-04"))
        .unwrap();
    assert_eq!(soleni["rcpt"][0], "contact.soleni-mtp-04@example.org");
    let body = soleni["text"].as_str().unwrap();
    assert!(
        body.contains("Résultat : accepté avec des lignes rejetées."),
        "{body}"
    );
    assert!(body.contains("feuille Demandeurs d'emploi, ligne 3, colonne F Code postal : code postal invalide : 5 chiffres attendus"), "{body}");
    // The annotated copy of its own workbook, then the rejection CSV;
    // answers go to the operators; the next step is said.
    let copy = &soleni["attachments"][0];
    assert_eq!(copy["filename"], "SOLENI-MTP-04_2019-T1.annote.xlsx");
    assert_eq!(
        copy["type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert_eq!(copy["zip"], true);
    assert_eq!(
        soleni["attachments"][1]["filename"],
        "SOLENI-MTP-04_2019-T1.rejets.csv"
    );
    assert_eq!(soleni["reply_to"], "operateurs@example.org", "{soleni:#}");
    assert!(body.contains("Que faire maintenant ?"), "{body}");
    assert!(body.contains("copie annotée jointe"), "{body}");
    // A refused file's feedback lists its problems and what to do.
    let oppe = feedback
        .iter()
        .find(|m| m["subject"].as_str().unwrap().contains("OPPE-LYO-09"))
        .unwrap();
    let oppe_body = oppe["text"].as_str().unwrap().replace("\r\n", "\n");
    assert!(
        oppe_body.contains("Ce qui empêche de le prendre en compte :\n- Colonne obligatoire absente : « Date d'entrée »"),
        "{oppe_body}"
    );
    assert!(
        oppe_body.contains("Le fichier n'a pas été pris en compte : corrigez ce point"),
        "{oppe_body}"
    );
    assert_eq!(
        oppe["attachments"][0]["filename"],
        "OPPE-LYO-09_2019-T1.annote.xlsx"
    );
    // Nothing personal in any message.
    let all: String = std::fs::read_dir(&server.dir)
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap_or_default())
        .collect();
    for v in super::privacy::identity_values() {
        assert!(!all.contains(&v), "identity value «{v}» in an e-mail");
    }
    // A second run with nothing new sends nothing more.
    essaim_with(&config, &["run"], &[KEY, PASSWORD]);
    assert_eq!(server.messages().len(), msgs.len());
}

#[test]
fn server_down_then_up_delivers_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let (ca, cert, key) = certificate(dir.path());
    let port = free_port();
    let config = smtp_config(dir.path(), port, &ca, "");
    drop_into(&dir.path().join("inbox"), &fixture_files("inbox"));
    // `--digest`: this run also sends the digest (3 readers + 5 feedbacks).
    let run = essaim_with(
        &config,
        &["run", "--digest", "--format", "json"],
        &[KEY, PASSWORD],
    );
    let j = run.json();
    assert_eq!(j["run"]["digest"]["delivery"]["deferred"], 8, "{j:#}");
    let list = essaim_with(&config, &["digest", "--list"], &[KEY, PASSWORD]);
    assert_eq!(
        list.stdout
            .lines()
            .filter(|l| l.starts_with("pending"))
            .count(),
        8,
        "{}",
        list.stdout
    );
    let server = Server::start(port, dir.path(), &cert, &key, &[]);
    let retry = essaim_with(&config, &["digest", "--retry"], &[KEY, PASSWORD]);
    assert!(retry.stdout.contains("8 envoyé(s)"), "{}", retry.stdout);
    essaim_with(&config, &["digest", "--retry"], &[KEY, PASSWORD]);
    let msgs = server.messages();
    assert_eq!(msgs.len(), 8);
    let mut ids: Vec<&str> = msgs
        .iter()
        .map(|m| m["message_id"].as_str().unwrap())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 8, "each message once");
}

#[test]
fn refused_authentication_keeps_the_messages_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let (ca, cert, key) = certificate(dir.path());
    let port = free_port();
    let server = Server::start(port, dir.path(), &cert, &key, &[]);
    let config = smtp_config(dir.path(), port, &ca, "");
    drop_into(&dir.path().join("inbox"), &fixture_files("inbox"));
    essaim_with(
        &config,
        &["run", "--digest"],
        &[KEY, ("ESSAIM_SMTP_PASSWORD", "wrong")],
    );
    assert_eq!(server.messages().len(), 0);
    let list = essaim_with(&config, &["digest", "--list"], &[KEY]);
    assert_eq!(
        list.stdout
            .lines()
            .filter(|l| l.starts_with("pending"))
            .count(),
        8,
        "{}",
        list.stdout
    );
    assert!(
        list.stdout
            .contains("authentification refusée par le serveur SMTP"),
        "{}",
        list.stdout
    );
    // With the right password, everything goes.
    essaim_with(&config, &["digest", "--retry"], &[KEY, PASSWORD]);
    assert_eq!(server.messages().len(), 8);
}

#[test]
fn a_4xx_defers_and_a_5xx_for_one_recipient_holds_back_no_other() {
    let dir = tempfile::tempdir().unwrap();
    let (ca, cert, key) = certificate(dir.path());
    let port = free_port();
    let server = Server::start(
        port,
        dir.path(),
        &cert,
        &key,
        &["--tempfail", "1", "--reject", "tapaj@example.org"],
    );
    let config = smtp_config(dir.path(), port, &ca, "");
    drop_into(&dir.path().join("inbox"), &fixture_files("inbox"));
    let run = essaim_with(
        &config,
        &["run", "--digest", "--format", "json"],
        &[KEY, PASSWORD],
    );
    let j = run.json();
    let d = &j["run"]["digest"]["delivery"];
    assert_eq!(d["deferred"], 1, "{j:#}");
    assert_eq!(d["failed"].as_array().unwrap().len(), 1);
    assert_eq!(d["sent"], 6);
    assert_eq!(server.messages().len(), 6);
    let retry = essaim_with(&config, &["digest", "--retry"], &[KEY, PASSWORD]);
    assert!(retry.stdout.contains("1 envoyé(s)"), "{}", retry.stdout);
    assert_eq!(server.messages().len(), 7);
    let list = essaim_with(&config, &["digest", "--list"], &[KEY]);
    let failed: Vec<&str> = list
        .stdout
        .lines()
        .filter(|l| l.starts_with("failed"))
        .collect();
    assert_eq!(failed.len(), 1);
    assert!(failed[0].contains("tapaj@example.org"), "{failed:?}");
}
