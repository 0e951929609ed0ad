//! Where an index test's index lives: a SQLite file, or a fresh
//! PostgreSQL schema at CUSTODIAN_TEST_POSTGRES (dropped afterwards).
//! Without that variable the PostgreSQL side prints a loud skip, unless
//! CUSTODIAN_REQUIRE_POSTGRES=1 (CI), where it fails; built without the
//! cargo feature `postgres` it prints a skip saying so.

use std::path::PathBuf;

/// Where a test's index lives.
pub enum Store {
    Sqlite(PathBuf),
    #[cfg(feature = "postgres")]
    Pg {
        url: String,
        schema: String,
        base: String,
    },
}

impl Store {
    pub fn location(&self) -> String {
        match self {
            Store::Sqlite(p) => p.display().to_string(),
            #[cfg(feature = "postgres")]
            Store::Pg { url, .. } => url.clone(),
        }
    }
}

#[cfg(feature = "postgres")]
impl Drop for Store {
    fn drop(&mut self) {
        if let Store::Pg { schema, base, .. } = self {
            if let Ok(mut c) = postgres::Client::connect(base, postgres::NoTls) {
                let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
            }
        }
    }
}

/// Prints a skip past the test harness's capture.
pub fn skip(message: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "*** SKIPPED: {message} ***");
}

#[cfg(not(feature = "postgres"))]
pub fn postgres(_prefix: &str, name: &str) -> Option<Store> {
    skip(format_args!(
        "PostgreSQL side of {name}: this build has no PostgreSQL support (cargo feature `postgres`)"
    ));
    None
}

/// A fresh PostgreSQL schema, or `None` (with a loud skip) when no server
/// is configured and CI does not require one.
#[cfg(feature = "postgres")]
pub fn postgres(prefix: &str, name: &str) -> Option<Store> {
    let base = match std::env::var("CUSTODIAN_TEST_POSTGRES") {
        Ok(u) if !u.is_empty() => u,
        _ => {
            if std::env::var("CUSTODIAN_REQUIRE_POSTGRES").as_deref() == Ok("1") {
                panic!("CUSTODIAN_REQUIRE_POSTGRES=1 but CUSTODIAN_TEST_POSTGRES is not set");
            }
            skip(format_args!(
                "PostgreSQL side of {name}: set CUSTODIAN_TEST_POSTGRES=postgres://… to run it (CI sets it)"
            ));
            return None;
        }
    };
    let mut c = postgres::Client::connect(&base, postgres::NoTls)
        .unwrap_or_else(|e| panic!("CUSTODIAN_TEST_POSTGRES={base}: cannot connect: {e}"));
    let schema = format!(
        "{prefix}{}_{}_{}",
        name,
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos()
    );
    c.batch_execute(&format!("CREATE SCHEMA {schema}")).unwrap();
    let sep = if base.contains('?') { '&' } else { '?' };
    Some(Store::Pg {
        url: format!("{base}{sep}options=-c%20search_path%3D{schema}"),
        schema,
        base,
    })
}
