use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

use super::keyring::generate_file;
use super::*;

const AAD: &str = "resident_profile.id_number";
const ID: &str = "11010519491231002X";

/// Fixed, distinct test keys: base64 of 32 bytes of `byte`.
fn key(byte: u8) -> String {
    STANDARD.encode([byte; 32])
}

fn ring(text: &str) -> Keyring {
    Keyring::from_text(text).unwrap()
}

fn one_key() -> Keyring {
    ring(&format!("seal 1 {}\nindex {}", key(1), key(9)))
}

fn rotated() -> Keyring {
    ring(&format!("seal 1 {}\nseal 2 {}\nindex {}", key(1), key(2), key(9)))
}

fn parse_problem(text: &str) -> (usize, ParseProblem) {
    match Keyring::from_text(text).unwrap_err() {
        SealingError::Parse { line, problem, .. } => (line, problem),
        other => panic!("expected a parse error, got {other:?}"),
    }
}

#[test]
fn seal_open_roundtrip() {
    let keys = one_key();
    for value in [ID, "", "阿依古丽·吐尔逊", "a\0b\n"] {
        let sealed = keys.seal(AAD, value);
        assert!(sealed.starts_with("v1.1."), "{sealed}");
        assert!(!sealed.contains(value) || value.is_empty());
        let payload = sealed.strip_prefix("v1.1.").unwrap();
        assert_eq!(URL_SAFE_NO_PAD.decode(payload).unwrap().len(), 24 + value.len() + 16);
        assert_eq!(keys.open(AAD, &sealed).unwrap(), value);
    }
}

#[test]
fn each_seal_uses_a_fresh_nonce() {
    let keys = one_key();
    let a = keys.seal(AAD, ID);
    let b = keys.seal(AAD, ID);
    assert_ne!(a, b);
    assert_ne!(URL_SAFE_NO_PAD.decode(&a[5..]).unwrap()[..24], URL_SAFE_NO_PAD.decode(&b[5..]).unwrap()[..24]);
}

#[test]
fn wrong_aad_fails() {
    let keys = one_key();
    let sealed = keys.seal(AAD, ID);
    assert!(matches!(keys.open("resident_profile.phone", &sealed), Err(SealingError::Unauthentic)));
    assert!(matches!(keys.open("", &sealed), Err(SealingError::Unauthentic)));
}

#[test]
fn every_tampered_byte_fails() {
    let keys = one_key();
    let sealed = keys.seal(AAD, ID);
    let payload = URL_SAFE_NO_PAD.decode(&sealed[5..]).unwrap();
    for i in 0..payload.len() {
        let mut bad = payload.clone();
        bad[i] ^= 0x01;
        let tampered = format!("v1.1.{}", URL_SAFE_NO_PAD.encode(&bad));
        assert!(matches!(keys.open(AAD, &tampered), Err(SealingError::Unauthentic)), "byte {i}");
    }
    let truncated = format!("v1.1.{}", URL_SAFE_NO_PAD.encode(&payload[..payload.len() - 1]));
    assert!(matches!(keys.open(AAD, &truncated), Err(SealingError::Unauthentic)));
}

#[test]
fn sealed_under_another_keyring_fails() {
    let other = ring(&format!("seal 1 {}\nindex {}", key(3), key(9)));
    assert!(matches!(one_key().open(AAD, &other.seal(AAD, ID)), Err(SealingError::Unauthentic)));
}

#[test]
fn malformed_values_are_rejected_without_echoing_them() {
    let keys = one_key();
    let good = keys.seal(AAD, ID);
    let cases = [
        ID.to_string(),
        String::new(),
        good.replacen("v1.", "v2.", 1),
        "v1.".to_string(),
        "v1.1".to_string(),
        good.replacen("v1.1.", "v1.+1.", 1),
        good.replacen("v1.1.", "v1.0.", 1),
        good.replacen("v1.1.", "v1.x.", 1),
        good.replacen("v1.1.", "v1.99999999999.", 1),
        format!("{good}="),
        format!("{good}!{ID}"),
        format!("v1.1.{}", URL_SAFE_NO_PAD.encode([0u8; 39])),
    ];
    for case in cases {
        match keys.open(AAD, &case) {
            Err(err @ SealingError::Malformed(_)) => {
                assert!(!err.to_string().contains(ID), "{err}");
                assert!(!keys.needs_reseal(&case));
            }
            other => panic!("{case:?}: expected Malformed, got {other:?}"),
        }
    }
}

#[test]
fn unknown_key_id_is_reported() {
    let sealed = rotated().seal(AAD, ID);
    assert!(matches!(one_key().open(AAD, &sealed), Err(SealingError::UnknownKeyId(2))));
}

#[test]
fn rotation_keeps_old_values_open_and_flags_them() {
    let before = one_key();
    let after = rotated();
    let old = before.seal(AAD, ID);
    assert!(!before.needs_reseal(&old));
    assert!(after.needs_reseal(&old));
    assert_eq!(after.open(AAD, &old).unwrap(), ID);

    let new = after.seal(AAD, ID);
    assert!(new.starts_with("v1.2."), "{new}");
    assert!(!after.needs_reseal(&new));
    assert_eq!(after.current_key_id(), 2);
    assert_eq!(after.key_ids().collect::<Vec<_>>(), [1, 2]);
}

#[test]
fn highest_id_seals_whatever_the_order() {
    let keys = ring(&format!("seal 7 {}; seal 3 {} ; index {}", key(7), key(3), key(9)));
    assert_eq!(keys.current_key_id(), 7);
    assert!(keys.seal(AAD, ID).starts_with("v1.7."));
}

#[test]
fn blind_index_survives_sealing_key_rotation() {
    let index = one_key().blind_index(AAD, ID);
    assert_eq!(rotated().blind_index(AAD, ID), index);
    assert_eq!(index.len(), 64);
    assert!(index.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
}

#[test]
fn blind_index_normalises_case_and_whitespace() {
    let keys = one_key();
    let index = keys.blind_index(AAD, ID);
    assert_eq!(keys.blind_index(AAD, "  11010519491231002x\t\n"), index);
    assert_ne!(keys.blind_index(AAD, "110105194912310020"), index);
    assert_ne!(keys.blind_index(AAD, "1101051949 1231002X"), index);
}

#[test]
fn blind_index_differs_per_aad_and_index_key() {
    let keys = one_key();
    let index = keys.blind_index(AAD, ID);
    assert_ne!(keys.blind_index("guardian.id_number", ID), index);
    let other_index_key = ring(&format!("seal 1 {}\nindex {}", key(1), key(8)));
    assert_ne!(other_index_key.blind_index(AAD, ID), index);
    // The 0x00 separator keeps the aad/value boundary unambiguous.
    assert_ne!(keys.blind_index("ab", "C"), keys.blind_index("a", "BC"));
}

#[test]
fn mask_examples() {
    assert_eq!(mask(ID), "1101**********002X");
    assert_eq!(mask("阿依古丽·吐尔逊"), "******尔逊");
    assert_eq!(mask("欧阳娜娜·阿依古丽·吐尔逊"), "欧阳娜娜*****·吐尔逊");
    assert_eq!(mask("123456789"), "1234*6789");
    assert_eq!(mask("12345678"), "******78");
    assert_eq!(mask("abc"), "*bc");
    assert_eq!(mask("王芳"), "**");
    assert_eq!(mask("a"), "*");
    assert_eq!(mask(""), "");
}

#[test]
fn loads_from_file() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!("# keys\n\nseal 1 {}  # old\r\nseal 2 {}\nindex {}\n", key(1), key(2), key(9));
    std::fs::write(dir.path().join(FILE_NAME), text).unwrap();
    let keys = Keyring::load_with(dir.path(), None).unwrap();
    assert_eq!(keys.origin(), &KeyOrigin::File(dir.path().join(FILE_NAME)));
    assert_eq!(keys.key_ids().collect::<Vec<_>>(), [1, 2]);
    assert_eq!(keys.open(AAD, &rotated().seal(AAD, ID)).unwrap(), ID);
}

#[test]
fn env_text_takes_precedence_over_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(FILE_NAME), format!("seal 1 {}\nindex {}\n", key(5), key(6))).unwrap();
    let env = format!("# keys; rotated\nseal 1 {};seal 2 {} # new; current\n index {};", key(1), key(2), key(9));
    let keys = Keyring::load_with(dir.path(), Some(&env)).unwrap();
    assert_eq!(keys.origin(), &KeyOrigin::Env);
    assert_eq!(keys.current_key_id(), 2);
    assert_eq!(keys.blind_index(AAD, ID), one_key().blind_index(AAD, ID));
    // Set but empty is an error, never a fallback to the file.
    assert!(matches!(Keyring::load_with(dir.path(), Some("")), Err(SealingError::NoIndexKey { .. })));
}

#[test]
fn generated_file_is_private_and_loads_back_identically() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let path = data_dir.join(FILE_NAME);
    let first = Keyring::load_with(&data_dir, None).unwrap();
    assert_eq!(first.origin(), &KeyOrigin::Generated(path.clone()));
    assert_eq!(first.key_ids().collect::<Vec<_>>(), [1]);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let names: Vec<_> = std::fs::read_dir(&data_dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names, [FILE_NAME], "temporary file left behind");

    let second = Keyring::load_with(&data_dir, None).unwrap();
    assert_eq!(second.origin(), &KeyOrigin::File(path));
    assert_eq!(second.open(AAD, &first.seal(AAD, ID)).unwrap(), ID);
    assert_eq!(second.blind_index(AAD, ID), first.blind_index(AAD, ID));
    // Fresh keys are random: another data dir gets different ones.
    let other = Keyring::load_with(&dir.path().join("other"), None).unwrap();
    assert_ne!(other.blind_index(AAD, ID), first.blind_index(AAD, ID));
}

#[test]
fn generation_never_replaces_an_existing_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(FILE_NAME);
    std::fs::write(&path, format!("seal 1 {}\nindex {}\n", key(1), key(9))).unwrap();
    // As if another process created the file between our read and our install.
    let keys = generate_file(dir.path(), path.clone()).unwrap();
    assert_eq!(keys.origin(), &KeyOrigin::File(path));
    assert_eq!(keys.blind_index(AAD, ID), one_key().blind_index(AAD, ID));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "temporary file left behind");
}

#[test]
fn unreadable_file_is_an_error_not_a_reason_to_generate() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(FILE_NAME)).unwrap();
    assert!(matches!(Keyring::load_with(dir.path(), None), Err(SealingError::Io { action: "read", .. })));
}

#[test]
fn every_parse_error_names_its_line() {
    let (k1, k2, k9) = (key(1), key(2), key(9));
    let cases = [
        (format!("# c\nsael 1 {k1}\nindex {k9}"), 2, ParseProblem::UnknownDirective),
        (format!("{k1}\nindex {k9}"), 1, ParseProblem::UnknownDirective),
        (format!("seal {k1}\nindex {k9}"), 1, ParseProblem::SealFields),
        (format!("seal 1 {k1} extra\nindex {k9}"), 1, ParseProblem::SealFields),
        (format!("seal 1 {k1}\nindex"), 2, ParseProblem::IndexFields),
        (format!("seal 1 {k1}\nindex {k9} {k2}"), 2, ParseProblem::IndexFields),
        (format!("seal 0 {k1}\nindex {k9}"), 1, ParseProblem::BadId),
        (format!("seal -1 {k1}\nindex {k9}"), 1, ParseProblem::BadId),
        (format!("seal 4294967296 {k1}\nindex {k9}"), 1, ParseProblem::BadId),
        (format!("seal 1 {}\nindex {k9}", &k1[..43]), 1, ParseProblem::BadBase64),
        (format!("seal 1 {}\nindex {k9}", k1.replace('A', "-")), 1, ParseProblem::BadBase64),
        (format!("seal 1 {}\nindex {k9}", STANDARD.encode([1u8; 16])), 1, ParseProblem::WrongLength(16)),
        (format!("seal 1 {k1}\nindex {}", STANDARD.encode([9u8; 33])), 2, ParseProblem::WrongLength(33)),
        (format!("seal 1 {k1}\n\nseal 1 {k2}\nindex {k9}"), 3, ParseProblem::DuplicateId(1)),
        (format!("seal 1 {k1}\nindex {k9}\nindex {k2}"), 3, ParseProblem::DuplicateIndex),
        (format!("seal 1 {k1}\nseal 2 {k1}\nindex {k9}"), 2, ParseProblem::ReusedKey),
        (format!("seal 1 {k1}\nindex {k1}"), 2, ParseProblem::ReusedKey),
    ];
    for (text, line, problem) in cases {
        assert_eq!(parse_problem(&text), (line, problem.clone()), "{text}");
        let message = Keyring::from_text(&text).unwrap_err().to_string();
        assert!(message.contains(&format!("line {line}:")), "{message}");
        for secret in [&k1, &k2, &k9, &k1[..43]] {
            assert!(!message.contains(secret), "key material in {message}");
        }
    }
    // In the environment variable, entries count as lines.
    let env = format!("seal 1 {k1};seal 1 {k2};index {k9}");
    let err = Keyring::load_with(std::path::Path::new("/nonexistent"), Some(&env)).unwrap_err();
    assert_eq!(err.to_string(), format!("environment variable {ENV_VAR}, line 2: key id 1 appears more than once"));
}

#[test]
fn missing_keys_are_errors() {
    let only_seal = Keyring::from_text(&format!("seal 1 {}\n", key(1))).unwrap_err();
    assert!(matches!(only_seal, SealingError::NoIndexKey { .. }), "{only_seal:?}");
    let only_index = Keyring::from_text(&format!("# nothing\nindex {}\n", key(9))).unwrap_err();
    assert!(matches!(only_index, SealingError::NoSealKey { .. }), "{only_index:?}");
    assert!(only_index.to_string().contains("no `seal"), "{only_index}");
}

#[test]
fn debug_shows_ids_not_keys() {
    let keys = rotated();
    let debug = format!("{keys:?}");
    assert!(debug.contains("seal_key_ids: [1, 2]"), "{debug}");
    for byte in [1, 2, 9] {
        assert!(!debug.contains(&key(byte)), "{debug}");
        assert!(!debug.contains(&hex::encode([byte; 4])), "{debug}");
        assert!(!debug.contains(&format!("{byte}, {byte}, {byte}, {byte}")), "{debug}");
    }
}

#[test]
fn generated_key_lines_parse_and_differ() {
    let line = Keyring::generate_key_line(3);
    assert!(line.starts_with("seal 3 "), "{line}");
    assert_ne!(line, Keyring::generate_key_line(3));
    let keys = ring(&format!("seal 1 {}\n{line}\nindex {}", key(1), key(9)));
    assert_eq!(keys.current_key_id(), 3);
    let fresh = Keyring::from_text(&Keyring::generate_text()).unwrap();
    assert_eq!(fresh.key_ids().collect::<Vec<_>>(), [1]);
}
