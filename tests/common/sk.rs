//! Hardware-backed (`sk-ssh-ed25519@openssh.com`) keys made in software,
//! for tests: no token is attached to the machines that run them. A
//! [`SoftSk`] makes exactly what a FIDO token makes for OpenSSH
//! (PROTOCOL.u2f), with the flags and counter the test chooses, and
//! [`FakeAgent`] serves it over the SSH agent protocol the way ssh-agent
//! does with a token attached.

use std::io::{Read, Write};
use std::os::unix::net::UnixListener;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use ed25519_dalek::Signer;
use sha2::{Digest, Sha256};
use ssh_encoding::{Decode, Encode};
use ssh_key::public::{Ed25519PublicKey, KeyData, SkEd25519};
use ssh_key::{Algorithm, HashAlg, LineEnding, PublicKey, Signature, SshSig};

/// A security key's Ed25519 key and application, in software.
#[derive(Clone)]
pub struct SoftSk {
    key: ed25519_dalek::SigningKey,
    application: String,
}

impl SoftSk {
    pub fn from_seed(seed: [u8; 32], application: &str) -> Self {
        SoftSk {
            key: ed25519_dalek::SigningKey::from_bytes(&seed),
            application: application.to_string(),
        }
    }

    pub fn key_data(&self) -> KeyData {
        KeyData::SkEd25519(SkEd25519::new(
            Ed25519PublicKey(self.key.verifying_key().to_bytes()),
            self.application.clone(),
        ))
    }

    /// `sk-ssh-ed25519@openssh.com AAAA… comment`.
    pub fn public_line(&self, comment: &str) -> String {
        PublicKey::new(self.key_data(), comment)
            .to_openssh()
            .unwrap()
    }

    pub fn fingerprint(&self) -> String {
        self.key_data().fingerprint(HashAlg::Sha256).to_string()
    }

    /// The token's signature of `data` with these flags and counter:
    /// Ed25519 over SHA-256(application) ‖ flags ‖ counter ‖ SHA-256(data).
    pub fn raw_sign(&self, data: &[u8], flags: u8, counter: u32) -> Signature {
        let mut msg = Sha256::digest(self.application.as_bytes()).to_vec();
        msg.push(flags);
        msg.extend_from_slice(&counter.to_be_bytes());
        msg.extend_from_slice(&Sha256::digest(data));
        let mut bytes = self.key.sign(&msg).to_bytes().to_vec();
        bytes.push(flags);
        bytes.extend_from_slice(&counter.to_be_bytes());
        Signature::new(Algorithm::SkEd25519, bytes).unwrap()
    }

    /// An SSHSIG (sha512) of `msg` in `namespace`.
    pub fn sshsig(&self, namespace: &str, msg: &[u8], flags: u8, counter: u32) -> SshSig {
        let signed = SshSig::signed_data(namespace, HashAlg::Sha512, msg).unwrap();
        SshSig::new(
            self.key_data(),
            namespace,
            HashAlg::Sha512,
            self.raw_sign(&signed, flags, counter),
        )
        .unwrap()
    }

    /// The armoured file `ssh-keygen -Y sign` would write.
    pub fn pem(&self, namespace: &str, msg: &[u8], flags: u8, counter: u32) -> String {
        self.sshsig(namespace, msg, flags, counter)
            .to_pem(LineEnding::LF)
            .unwrap()
    }
}

/// An SSH agent in a thread, holding one software security key and
/// signing with `flags` and an increasing counter, as ssh-agent does when
/// the token is attached. It lives as long as the value.
pub struct FakeAgent {
    _dir: tempfile::TempDir,
    pub socket: PathBuf,
    /// How many signatures it made.
    pub signed: Arc<Mutex<u32>>,
}

impl FakeAgent {
    pub fn start(key: SoftSk, comment: &str, flags: u8) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("agent.sock");
        let listener = UnixListener::bind(&socket).unwrap();
        let signed = Arc::new(Mutex::new(0u32));
        let count = signed.clone();
        let comment = comment.to_string();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut conn) = conn else { return };
                loop {
                    let mut len = [0u8; 4];
                    if conn.read_exact(&mut len).is_err() {
                        break;
                    }
                    let mut req = vec![0; u32::from_be_bytes(len) as usize];
                    if conn.read_exact(&mut req).is_err() {
                        break;
                    }
                    let reply = answer(&key, &comment, flags, &count, &req);
                    let mut framed = (reply.len() as u32).to_be_bytes().to_vec();
                    framed.extend_from_slice(&reply);
                    if conn.write_all(&framed).is_err() {
                        break;
                    }
                }
            }
        });
        FakeAgent {
            _dir: dir,
            socket,
            signed,
        }
    }
}

fn answer(key: &SoftSk, comment: &str, flags: u8, count: &Mutex<u32>, req: &[u8]) -> Vec<u8> {
    let blob = wire(&key.key_data());
    match req.first() {
        Some(11) => {
            let mut out = vec![12];
            1u32.encode(&mut out).unwrap();
            blob.encode(&mut out).unwrap();
            comment.encode(&mut out).unwrap();
            out
        }
        Some(13) => {
            let mut r = &req[1..];
            let asked = Vec::<u8>::decode(&mut r).unwrap();
            let data = Vec::<u8>::decode(&mut r).unwrap();
            if asked != blob {
                return vec![5];
            }
            let mut n = count.lock().unwrap();
            *n += 1;
            let sig = key.raw_sign(&data, flags, *n);
            let mut out = vec![14];
            wire(&sig).encode(&mut out).unwrap();
            out
        }
        _ => vec![5],
    }
}

/// The SSH wire encoding of a key or signature.
fn wire(x: &impl Encode) -> Vec<u8> {
    let mut out = Vec::new();
    x.encode(&mut out).unwrap();
    out
}
