//! Signing through an SSH agent (`ssh-agent`, or any agent speaking the
//! same protocol, e.g. one that fronts a hardware token), so that the
//! private key never enters custodian's memory.
//!
//! Only the two requests custodian needs are implemented, written against
//! the protocol's specification (draft-miller-ssh-agent, "SSH Agent
//! Protocol", §3 and §4.4-§4.5; the numbers are OpenSSH's `authfd.h`):
//! `SSH_AGENTC_REQUEST_IDENTITIES` (11) answered by
//! `SSH_AGENT_IDENTITIES_ANSWER` (12), and `SSH_AGENTC_SIGN_REQUEST` (13)
//! answered by `SSH_AGENT_SIGN_RESPONSE` (14) or `SSH_AGENT_FAILURE` (5).
//! Every message is a uint32 length and that many bytes, the first being
//! the message number; the fields are SSH wire encodings (RFC 4251 §5),
//! read and written with `ssh-encoding`, keys and signatures with
//! `ssh-key`. A dedicated agent crate was not taken: those maintained
//! today are built on an async runtime, which is more code than the whole
//! exchange, and the exchange runs once per signature.
//!
//! What the agent returns is checked before it is used: the signature must
//! verify with the key asked for (`custodian_format::sshsig::sshsig_sign`
//! and `NoteSigner::sign` do that), so a confused or hostile agent can make
//! a command fail, never write a bad signature.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use ssh_encoding::{Decode, Encode};
use ssh_key::public::KeyData;
use ssh_key::{HashAlg, Signature};

use custodian_format::sshsig::Fingerprint;

const SSH_AGENT_FAILURE: u8 = 5;
const SSH_AGENTC_REQUEST_IDENTITIES: u8 = 11;
const SSH_AGENT_IDENTITIES_ANSWER: u8 = 12;
const SSH_AGENTC_SIGN_REQUEST: u8 = 13;
const SSH_AGENT_SIGN_RESPONSE: u8 = 14;
/// Older failure codes an agent may still send (OpenSSH's `authfd.c`
/// treats them as a failure too).
const SSH2_AGENT_FAILURE: u8 = 30;
const SSH_COM_AGENT2_FAILURE: u8 = 102;

/// Largest reply read: OpenSSH's own client and agent refuse anything
/// larger (`MAX_AGENT_REPLY_LEN`, 256 KiB).
pub const MAX_REPLY_BYTES: u32 = 256 * 1024;

/// How long one exchange may take. A signature by a hardware key waits
/// for the examiner to touch the token, so this is generous; a stuck
/// agent still ends the command instead of hanging it.
const TIMEOUT: Duration = Duration::from_secs(120);

/// Why the agent could not be used, each naming the socket and, where
/// there is one, the key asked for.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    #[error("cannot reach the SSH agent at {socket}: {source}")]
    Connect {
        socket: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("talking to the SSH agent at {socket}: {source}")]
    Io {
        socket: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the SSH agent at {socket} answered with something that is not {expected} ({reason})")]
    Protocol {
        socket: PathBuf,
        expected: &'static str,
        reason: String,
    },
    #[error("the SSH agent at {socket} lists no keys, so not {fingerprint}: it is locked (`ssh-add -X` unlocks it) or empty (`ssh-add KEYFILE` adds the key)")]
    NoKeys {
        socket: PathBuf,
        fingerprint: Fingerprint,
    },
    #[error("the SSH agent at {socket} does not hold key {fingerprint} (it holds {held} other key(s); `ssh-add -l` lists them, `ssh-add KEYFILE` adds it)")]
    NotHeld {
        socket: PathBuf,
        fingerprint: Fingerprint,
        held: usize,
    },
    #[error("the SSH agent at {socket} refused to sign with key {fingerprint} (the agent was locked, a confirmation was declined, or the security key was not touched in time)")]
    Refused {
        socket: PathBuf,
        fingerprint: Fingerprint,
    },
}

/// A key held by an agent: where the agent listens, the public key, and
/// the comment the agent lists it with. Cloning it copies the address,
/// not any secret: there is none here.
#[derive(Debug, Clone)]
pub struct AgentKey {
    socket: PathBuf,
    key: KeyData,
    fingerprint: Fingerprint,
    comment: String,
}

impl AgentKey {
    /// Finds the key `fingerprint` among the agent's identities.
    pub fn find(socket: &Path, fingerprint: &Fingerprint) -> Result<Self, AgentError> {
        let listed = identities(socket)?;
        let count = listed.len();
        for (key, comment) in listed {
            if key.fingerprint(HashAlg::Sha256).to_string() == fingerprint.as_str() {
                return Ok(AgentKey {
                    socket: socket.to_path_buf(),
                    key,
                    fingerprint: fingerprint.clone(),
                    comment,
                });
            }
        }
        Err(if count == 0 {
            AgentError::NoKeys {
                socket: socket.to_path_buf(),
                fingerprint: fingerprint.clone(),
            }
        } else {
            AgentError::NotHeld {
                socket: socket.to_path_buf(),
                fingerprint: fingerprint.clone(),
                held: count,
            }
        })
    }

    pub fn key_data(&self) -> &KeyData {
        &self.key
    }

    pub fn fingerprint(&self) -> &Fingerprint {
        &self.fingerprint
    }

    /// The comment the agent lists the key with (`ssh-add` takes it from
    /// the key file: by custodian's convention, the principal).
    pub fn comment(&self) -> &str {
        &self.comment
    }

    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// Asks the agent to sign `data` with this key (flags 0: for
    /// `ssh-ed25519` keys the plain Ed25519 signature of `data`; for a
    /// hardware key, the token's signature with its flags and counter).
    pub fn sign(&self, data: &[u8]) -> Result<Signature, AgentError> {
        let proto = |reason: String| AgentError::Protocol {
            socket: self.socket.clone(),
            expected: "a signature",
            reason,
        };
        let mut request = vec![SSH_AGENTC_SIGN_REQUEST];
        let mut blob = Vec::new();
        self.key
            .encode(&mut blob)
            .map_err(|e| proto(e.to_string()))?;
        blob.encode(&mut request)
            .map_err(|e| proto(e.to_string()))?;
        data.encode(&mut request)
            .map_err(|e| proto(e.to_string()))?;
        0u32.encode(&mut request)
            .map_err(|e| proto(e.to_string()))?;
        let reply = exchange(&self.socket, &request)?;
        match reply.first() {
            Some(&SSH_AGENT_SIGN_RESPONSE) => {}
            Some(&(SSH_AGENT_FAILURE | SSH2_AGENT_FAILURE | SSH_COM_AGENT2_FAILURE)) => {
                return Err(AgentError::Refused {
                    socket: self.socket.clone(),
                    fingerprint: self.fingerprint.clone(),
                })
            }
            other => return Err(proto(format!("message type {other:?}"))),
        }
        let mut reader = &reply[1..];
        let blob = Vec::<u8>::decode(&mut reader).map_err(|e| proto(e.to_string()))?;
        if !reader.is_empty() {
            return Err(proto("bytes after the signature".into()));
        }
        let mut inner = blob.as_slice();
        let sig = Signature::decode(&mut inner).map_err(|e| proto(e.to_string()))?;
        if !inner.is_empty() {
            return Err(proto("bytes after the signature's fields".into()));
        }
        Ok(sig)
    }
}

/// The agent's keys, each with its comment. Keys of a type `ssh-key`
/// cannot read are skipped: they cannot be the one asked for.
pub fn identities(socket: &Path) -> Result<Vec<(KeyData, String)>, AgentError> {
    let proto = |reason: String| AgentError::Protocol {
        socket: socket.to_path_buf(),
        expected: "a list of keys",
        reason,
    };
    let reply = exchange(socket, &[SSH_AGENTC_REQUEST_IDENTITIES])?;
    if reply.first() != Some(&SSH_AGENT_IDENTITIES_ANSWER) {
        return Err(proto(format!("message type {:?}", reply.first())));
    }
    let mut reader = &reply[1..];
    let count = u32::decode(&mut reader).map_err(|e| proto(e.to_string()))?;
    let mut out = Vec::new();
    for _ in 0..count {
        let blob = Vec::<u8>::decode(&mut reader).map_err(|e| proto(e.to_string()))?;
        let comment = String::decode(&mut reader).map_err(|e| proto(e.to_string()))?;
        if let Ok(key) = KeyData::decode(&mut blob.as_slice()) {
            out.push((key, comment));
        }
    }
    if !reader.is_empty() {
        return Err(proto("bytes after the last key".into()));
    }
    Ok(out)
}

/// Sends one request and reads its reply (without the length prefix).
fn exchange(socket: &Path, request: &[u8]) -> Result<Vec<u8>, AgentError> {
    let mut stream = UnixStream::connect(socket).map_err(|source| AgentError::Connect {
        socket: socket.to_path_buf(),
        source,
    })?;
    let io = |source| AgentError::Io {
        socket: socket.to_path_buf(),
        source,
    };
    stream.set_read_timeout(Some(TIMEOUT)).map_err(io)?;
    stream.set_write_timeout(Some(TIMEOUT)).map_err(io)?;
    let mut framed = Vec::with_capacity(request.len() + 4);
    framed.extend_from_slice(&(request.len() as u32).to_be_bytes());
    framed.extend_from_slice(request);
    stream.write_all(&framed).map_err(io)?;
    let mut len = [0u8; 4];
    stream.read_exact(&mut len).map_err(io)?;
    let len = u32::from_be_bytes(len);
    if len == 0 || len > MAX_REPLY_BYTES {
        return Err(AgentError::Protocol {
            socket: socket.to_path_buf(),
            expected: "a reply",
            reason: format!("a reply of {len} bytes (at most {MAX_REPLY_BYTES})"),
        });
    }
    let mut reply = vec![0u8; len as usize];
    stream.read_exact(&mut reply).map_err(io)?;
    Ok(reply)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::net::UnixListener;

    /// A one-shot fake agent answering every connection with `reply`.
    fn fake_agent(reply: Vec<u8>) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let sock = dir.path().join("agent.sock");
        let listener = UnixListener::bind(&sock).unwrap();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut conn) = conn else { return };
                let mut len = [0u8; 4];
                if conn.read_exact(&mut len).is_err() {
                    continue;
                }
                let mut req = vec![0; u32::from_be_bytes(len) as usize];
                let _ = conn.read_exact(&mut req);
                let _ = conn.write_all(&reply);
            }
        });
        (dir, sock)
    }

    #[test]
    fn an_empty_agent_is_named_as_locked_or_empty() {
        let (_d, sock) = fake_agent(vec![0, 0, 0, 5, SSH_AGENT_IDENTITIES_ANSWER, 0, 0, 0, 0]);
        let fp = Fingerprint::parse("SHA256:PdMNSBekvNswrkFc75VlU5a+MULKjNequ3XBBe/CiGA").unwrap();
        let e = AgentKey::find(&sock, &fp).unwrap_err().to_string();
        assert!(e.contains("locked") && e.contains(fp.as_str()), "{e}");
    }

    #[test]
    fn an_oversized_or_garbled_reply_is_an_error_not_a_panic() {
        let fp = Fingerprint::parse("SHA256:PdMNSBekvNswrkFc75VlU5a+MULKjNequ3XBBe/CiGA").unwrap();
        for reply in [
            vec![0xff, 0xff, 0xff, 0xff],
            vec![0, 0, 0, 1, 99],
            vec![
                0,
                0,
                0,
                5,
                SSH_AGENT_IDENTITIES_ANSWER,
                0xff,
                0xff,
                0xff,
                0xff,
            ],
            vec![],
        ] {
            let (_d, sock) = fake_agent(reply.clone());
            assert!(AgentKey::find(&sock, &fp).is_err(), "{reply:?}");
        }
    }

    #[test]
    fn no_agent_at_the_socket_names_it() {
        let dir = tempfile::tempdir().unwrap();
        let sock = dir.path().join("none");
        let fp = Fingerprint::parse("SHA256:PdMNSBekvNswrkFc75VlU5a+MULKjNequ3XBBe/CiGA").unwrap();
        let e = AgentKey::find(&sock, &fp).unwrap_err().to_string();
        assert!(
            e.contains("cannot reach the SSH agent") && e.contains("none"),
            "{e}"
        );
    }
}
