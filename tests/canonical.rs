//! Properties of `custodian::ledger::canonical`, the RFC 8785 (JCS)
//! encoding that every ledger line and every signed message uses.
//!
//! For arbitrary JSON values (strings with any Unicode, control characters
//! included; nested arrays and objects; integers) the canonical bytes must
//! parse back to the same value, be a fixed point, list object members in
//! UTF-16 code-unit order, contain no insignificant white space, and escape
//! strings exactly as RFC 8785 §3.2.2.2 says.

use custodian::ledger::canonical;
use proptest::prelude::*;
use serde_json::{json, Value};

/// Characters biased towards the ones escaping rules care about.
fn json_char() -> impl Strategy<Value = char> {
    prop_oneof![
        4 => any::<char>(),
        2 => (0u32..0x20).prop_map(|c| char::from_u32(c).unwrap()),
        1 => prop::sample::select(vec![
            '"', '\\', '/', '\u{7f}', '\u{80}', '\u{2028}', '\u{2029}', '\u{feff}',
            '\u{fb33}', '\u{1F600}', '\u{10FFFF}', 'é', '€', ' ',
        ]),
        2 => prop::char::range('a', 'e'),
    ]
}

fn json_string() -> impl Strategy<Value = String> {
    prop::collection::vec(json_char(), 0..10).prop_map(|v| v.into_iter().collect())
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        // Integers a double holds exactly (RFC 8785 numbers are doubles).
        (-(1i64 << 53)..=(1i64 << 53)).prop_map(|n| json!(n)),
        json_string().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(json_string(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A strict reader of canonical JSON: fails on any white space between
/// tokens, on object members out of UTF-16 order, and on any string escape
/// RFC 8785 would not produce.
struct Strict<'a> {
    s: &'a [u8],
    i: usize,
}

impl Strict<'_> {
    fn check(s: &[u8]) -> Result<(), String> {
        let mut r = Strict { s, i: 0 };
        r.value()?;
        if r.i != s.len() {
            return Err(format!("trailing bytes at {}", r.i));
        }
        Ok(())
    }

    fn peek(&self) -> Result<u8, String> {
        self.s
            .get(self.i)
            .copied()
            .ok_or_else(|| "unexpected end".to_string())
    }

    fn eat(&mut self, b: u8) -> Result<(), String> {
        if self.peek()? != b {
            return Err(format!(
                "expected {:?} at {}, found {:?}",
                b as char,
                self.i,
                self.peek()? as char
            ));
        }
        self.i += 1;
        Ok(())
    }

    fn value(&mut self) -> Result<(), String> {
        match self.peek()? {
            b'{' => self.object(),
            b'[' => self.array(),
            b'"' => self.string().map(|_| ()),
            b'n' => self.literal("null"),
            b't' => self.literal("true"),
            b'f' => self.literal("false"),
            b'-' | b'0'..=b'9' => self.number(),
            c => Err(format!("unexpected {:?} at {}", c as char, self.i)),
        }
    }

    fn literal(&mut self, word: &str) -> Result<(), String> {
        if self.s[self.i..].starts_with(word.as_bytes()) {
            self.i += word.len();
            Ok(())
        } else {
            Err(format!("bad literal at {}", self.i))
        }
    }

    fn number(&mut self) -> Result<(), String> {
        let start = self.i;
        if self.peek()? == b'-' {
            self.i += 1;
        }
        while self.i < self.s.len() && self.s[self.i].is_ascii_digit() {
            self.i += 1;
        }
        let text = std::str::from_utf8(&self.s[start..self.i]).unwrap();
        let digits = text.trim_start_matches('-');
        if digits.is_empty() || (digits.len() > 1 && digits.starts_with('0')) || text == "-0" {
            return Err(format!("non-canonical integer {text:?}"));
        }
        Ok(())
    }

    fn array(&mut self) -> Result<(), String> {
        self.eat(b'[')?;
        if self.peek()? == b']' {
            self.i += 1;
            return Ok(());
        }
        loop {
            self.value()?;
            match self.peek()? {
                b',' => self.i += 1,
                b']' => {
                    self.i += 1;
                    return Ok(());
                }
                c => return Err(format!("unexpected {:?} in array at {}", c as char, self.i)),
            }
        }
    }

    fn object(&mut self) -> Result<(), String> {
        self.eat(b'{')?;
        if self.peek()? == b'}' {
            self.i += 1;
            return Ok(());
        }
        let mut prev: Option<Vec<u16>> = None;
        loop {
            let key: Vec<u16> = self.string()?.encode_utf16().collect();
            if let Some(p) = &prev {
                if p >= &key {
                    return Err(format!(
                        "member {:?} does not sort after {:?} by UTF-16 code units",
                        String::from_utf16_lossy(&key),
                        String::from_utf16_lossy(p)
                    ));
                }
            }
            prev = Some(key);
            self.eat(b':')?;
            self.value()?;
            match self.peek()? {
                b',' => self.i += 1,
                b'}' => {
                    self.i += 1;
                    return Ok(());
                }
                c => {
                    return Err(format!(
                        "unexpected {:?} in object at {}",
                        c as char, self.i
                    ))
                }
            }
        }
    }

    /// Reads a string, checking RFC 8785 §3.2.2.2: `"` and `\` as `\"` and
    /// `\\`; U+0008, U+0009, U+000A, U+000C, U+000D as `\b \t \n \f \r`;
    /// other controls below U+0020 as `\u00xx` with lowercase hex; nothing
    /// else escaped (not `/`, not U+007F, not non-ASCII).
    fn string(&mut self) -> Result<String, String> {
        self.eat(b'"')?;
        let mut out = String::new();
        loop {
            let rest = std::str::from_utf8(&self.s[self.i..]).map_err(|e| e.to_string())?;
            let c = rest.chars().next().ok_or("unterminated string")?;
            self.i += c.len_utf8();
            match c {
                '"' => return Ok(out),
                '\\' => {
                    let e = self.peek()?;
                    self.i += 1;
                    let decoded = match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'b' => '\u{8}',
                        b't' => '\t',
                        b'n' => '\n',
                        b'f' => '\u{c}',
                        b'r' => '\r',
                        b'u' => {
                            let hex = std::str::from_utf8(&self.s[self.i..self.i + 4])
                                .map_err(|e| e.to_string())?;
                            self.i += 4;
                            if !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
                                return Err(format!("\\u{hex} is not lowercase hex"));
                            }
                            let n = u32::from_str_radix(hex, 16).unwrap();
                            if n >= 0x20 || matches!(n, 0x08 | 0x09 | 0x0a | 0x0c | 0x0d) {
                                return Err(format!("\\u{hex} should not be escaped this way"));
                            }
                            char::from_u32(n).unwrap()
                        }
                        other => return Err(format!("escape \\{}", other as char)),
                    };
                    out.push(decoded);
                }
                c if (c as u32) < 0x20 => {
                    return Err(format!("raw control character U+{:04X}", c as u32))
                }
                c => out.push(c),
            }
        }
    }
}

fn canonical_str(v: &Value) -> String {
    String::from_utf8(canonical(v)).expect("canonical JSON is UTF-8")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn canonical_round_trips(v in json_value()) {
        let bytes = canonical(&v);
        let back: Value = serde_json::from_slice(&bytes).unwrap();
        prop_assert_eq!(&back, &v);
    }

    #[test]
    fn canonical_is_idempotent(v in json_value()) {
        let once = canonical(&v);
        let twice = canonical(&serde_json::from_slice::<Value>(&once).unwrap());
        prop_assert_eq!(once, twice);
    }

    #[test]
    fn canonical_is_strict_rfc8785(v in json_value()) {
        let bytes = canonical(&v);
        if let Err(e) = Strict::check(&bytes) {
            return Err(TestCaseError::fail(format!("{e}: {}", String::from_utf8_lossy(&bytes))));
        }
    }

    /// Strings alone: exactly the RFC 8785 escaping, character by character.
    #[test]
    fn strings_are_escaped_exactly(s in json_string()) {
        let mut expected = String::from("\"");
        for c in s.chars() {
            match c {
                '"' => expected.push_str("\\\""),
                '\\' => expected.push_str("\\\\"),
                '\u{8}' => expected.push_str("\\b"),
                '\t' => expected.push_str("\\t"),
                '\n' => expected.push_str("\\n"),
                '\u{c}' => expected.push_str("\\f"),
                '\r' => expected.push_str("\\r"),
                c if (c as u32) < 0x20 => expected.push_str(&format!("\\u{:04x}", c as u32)),
                c => expected.push(c),
            }
        }
        expected.push('"');
        prop_assert_eq!(canonical_str(&Value::String(s)), expected);
    }

    /// The order of members in the input never matters.
    #[test]
    fn member_order_does_not_matter(m in prop::collection::btree_map(json_string(), any::<i32>(), 0..8)) {
        let forward: serde_json::Map<String, Value> = m.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
        let text_rev = format!(
            "{{{}}}",
            m.iter()
                .rev()
                .map(|(k, v)| format!("{}:{v}", serde_json::to_string(k).unwrap()))
                .collect::<Vec<_>>()
                .join(" , ")
        );
        let reversed: Value = serde_json::from_str(&text_rev).unwrap();
        prop_assert_eq!(canonical(&Value::Object(forward)), canonical(&reversed));
    }
}

#[test]
fn rfc8785_string_escapes() {
    let cases: &[(&str, &str)] = &[
        ("\u{8}\t\n\u{c}\r", r#""\b\t\n\f\r""#),
        (
            "\u{0}\u{1}\u{1f}\u{b}\u{e}",
            r#""\u0000\u0001\u001f\u000b\u000e""#,
        ),
        ("\"\\", r#""\"\\""#),
        ("a/b</script>", r#""a/b</script>""#),
        ("\u{7f}", "\"\u{7f}\""),
        ("é€😀\u{2028}\u{feff}", "\"é€😀\u{2028}\u{feff}\""),
    ];
    for (input, expected) in cases {
        assert_eq!(
            canonical_str(&Value::String((*input).into())),
            *expected,
            "{input:?}"
        );
    }
}

/// RFC 8785 §3.2.3's own example of member sorting by UTF-16 code units.
#[test]
fn rfc8785_sorting_example() {
    let v: Value = serde_json::from_str(
        r#"{
          "\u20ac": "Euro Sign",
          "\r": "Carriage Return",
          "\ufb33": "Hebrew Letter Dalet With Dagesh",
          "1": "One",
          "\ud83d\ude00": "Emoji: Grinning Face",
          "\u0080": "Control",
          "\u00f6": "Latin Small Letter O With Diaeresis"
        }"#,
    )
    .unwrap();
    let expected = "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u{80}\":\"Control\",\
        \"ö\":\"Latin Small Letter O With Diaeresis\",\"€\":\"Euro Sign\",\
        \"😀\":\"Emoji: Grinning Face\",\"\u{fb33}\":\"Hebrew Letter Dalet With Dagesh\"}";
    assert_eq!(canonical_str(&v), expected);
}

#[test]
fn no_insignificant_whitespace_and_canonical_numbers() {
    let v: Value = serde_json::from_str(
        "{ \"b\" : [ 1 , -2 , 0 , true , null ] ,\n \"a\" : { } , \"c\": [] }",
    )
    .unwrap();
    assert_eq!(
        canonical_str(&v),
        r#"{"a":{},"b":[1,-2,0,true,null],"c":[]}"#
    );
    // Whole-number doubles are written as integers (ECMAScript form).
    let v: Value = serde_json::from_str("[1.0, -0.0, 1e2, 100000000000000000000.0]").unwrap();
    assert_eq!(canonical_str(&v), "[1,0,100,100000000000000000000]");
}

/// A ledger line is the canonical form of its entry: every line of the
/// committed fixture is a fixed point.
#[test]
fn fixture_lines_are_canonical() {
    let bytes = std::fs::read(
        std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
            .join("fixtures/ledger/ledger.jsonl"),
    )
    .unwrap();
    let mut n = 0;
    for line in bytes.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
        let v: Value = serde_json::from_slice(line).unwrap();
        assert_eq!(canonical(&v), line);
        Strict::check(line).unwrap();
        n += 1;
    }
    assert_eq!(n, 6);
}

/// The strict reader above is not vacuous: it rejects what RFC 8785 forbids.
#[test]
fn strict_reader_rejects_non_canonical_json() {
    for bad in [
        r#"{"b":1,"a":2}"#,
        r#"{"a":1, "b":2}"#,
        r#"{"a" :1}"#,
        "[1,2]\n",
        r#""\u001F""#,
        r#""\u0041""#,
        r#""\/""#,
        r#""\u000a""#,
        "\"\u{1}\"",
        r#""\u00e9""#,
        "[01]",
        "[-0]",
        r#"{"\ufb33":1,"\ud83d\ude00":2}"#,
    ] {
        assert!(Strict::check(bad.as_bytes()).is_err(), "{bad}");
    }
    Strict::check(r#"{"\ud83d\ude00":2,"\ufb33":1}"#.as_bytes()).unwrap_err();
    Strict::check("{\"😀\":2,\"\u{fb33}\":1}".as_bytes()).unwrap();
}
