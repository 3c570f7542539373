//! The telecom-fraud detector: does a resident's text carry the telltale
//! words of the common scams around a lost ID card ("your account will be
//! frozen", "pay a deposit to release the loan", "move your money to a safe
//! account", "read me the verification code")?
//!
//! It is deliberately a word list, not a classifier: every sign is a short
//! list of terms in Chinese (simplified and traditional), English and
//! Uyghur, matched as substrings of the text after [`normalise`]. A false
//! alarm costs a warning and a short consultation with the community police
//! office; a missed one can cost a resident their savings, so the terms are
//! broad ("deposit" fires on "deposited" too).

/// One sign of fraud: a stable key (stored and answered) and its terms,
/// written as [`normalise`] leaves them (lower case, single spaces).
#[derive(Debug)]
pub struct Sign {
    pub key: &'static str,
    pub terms: &'static [&'static str],
}

/// Every sign the detector knows, in the order it reports them.
///
/// Uyghur terms are stems, so that case suffixes still match:
/// `توڭلىت` / `توڭلات` (to freeze: توڭلىتىلغان "frozen", توڭلىتىشنى يېشىش
/// "unfreezing" — so a Uyghur "unfreeze" shows as `frozen-account`),
/// `كاپالەت پۇل` (guarantee money), `بىخەتەر ھېسابات` (safe account),
/// `دەلىللەش كود` / `تەستىق كود` (verification code).
pub const SIGNS: &[Sign] = &[
    Sign { key: "frozen-account", terms: &["冻结", "凍結", "frozen", "freeze", "توڭلىت", "توڭلات"] },
    Sign { key: "unfreeze", terms: &["解冻", "解凍", "unfreez", "unfrozen"] },
    Sign {
        key: "deposit", terms: &["保证金", "保證金", "deposit", "guarantee fee", "guarantee money", "كاپالەت پۇل"]
    },
    Sign {
        key: "safe-account",
        terms: &[
            "安全账户",
            "安全帐户",
            "安全賬戶",
            "安全帳戶",
            "safe account",
            "secure account",
            "security account",
            "safety account",
            "بىخەتەر ھېسابات",
        ],
    },
    Sign {
        key: "verification-code",
        terms: &[
            "验证码",
            "驗證碼",
            "verification code",
            "confirmation code",
            "sms code",
            "دەلىللەش كود",
            "تەستىق كود",
            "تەستىقلاش كود",
        ],
    },
];

/// The keys of the signs `text` shows, in [`SIGNS`] order, each once; empty
/// when none. Case-insensitive, and blind to how words are separated
/// ("Safe-Account", "SAFE  account" and "safe_account" all match).
pub fn signs(text: &str) -> Vec<&'static str> {
    let text = normalise(text);
    SIGNS.iter().filter(|sign| sign.terms.iter().any(|term| text.contains(term))).map(|sign| sign.key).collect()
}

/// Lower case, with every run of whitespace, hyphens and underscores made
/// one space (Chinese and Uyghur have no case; lower-casing leaves them be).
pub fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut gap = false;
    for c in text.chars() {
        if c.is_whitespace() || c == '-' || c == '_' {
            gap = !out.is_empty();
            continue;
        }
        if gap {
            out.push(' ');
            gap = false;
        }
        out.extend(c.to_lowercase());
    }
    out
}

/// How signs are stored in a text column: keys joined by commas.
pub fn to_column(signs: &[&str]) -> Option<String> {
    (!signs.is_empty()).then(|| signs.join(","))
}

/// Reads a stored signs column back as a list (`null` → empty).
pub fn from_column<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    let stored: Option<String> = serde::Deserialize::deserialize(deserializer)?;
    Ok(stored.map(|s| s.split(',').filter(|k| !k.is_empty()).map(str::to_owned).collect()).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ordinary_loss_shows_no_sign() {
        assert!(signs("我在公交车上丢了身份证，可能掉在座位下面").is_empty());
        assert!(signs("Lost my wallet with the ID card on bus 7 near the bazaar").is_empty());
        assert!(signs("كىملىكىمنى ئاپتوبۇستا يوقىتىپ قويدۇم").is_empty());
        assert!(signs("").is_empty());
    }

    #[test]
    fn the_brief_s_chinese_words_each_fire() {
        assert_eq!(signs("对方说我的银行卡被冻结了"), ["frozen-account"]);
        assert_eq!(signs("要我先交保证金才能放贷款"), ["deposit"]);
        assert_eq!(signs("让我把钱转到安全账户"), ["safe-account"]);
        assert_eq!(signs("他让我念一下手机验证码"), ["verification-code"]);
        assert_eq!(signs("交钱解冻"), ["unfreeze"]);
    }

    #[test]
    fn english_is_matched_whatever_the_case_and_separators() {
        assert_eq!(signs("They said my account is FROZEN"), ["frozen-account"]);
        assert_eq!(signs("pay a Deposit to release the loan"), ["deposit"]);
        assert_eq!(signs("move it to a Safe-Account"), ["safe-account"]);
        assert_eq!(signs("move it to a safe   account"), ["safe-account"]);
        assert_eq!(signs("move it to a SAFE_ACCOUNT"), ["safe-account"]);
        assert_eq!(signs("read me the Verification\nCode"), ["verification-code"]);
        // "unfreeze" contains "freeze": both signs, in list order.
        assert_eq!(signs("a fee to unfreeze your account"), ["frozen-account", "unfreeze"]);
    }

    #[test]
    fn uyghur_stems_match_with_their_suffixes() {
        assert_eq!(signs("ھېساباتىڭىز توڭلىتىلدى دېدى"), ["frozen-account"]);
        assert_eq!(signs("ئالدى بىلەن كاپالەت پۇلى تۆلەڭ"), ["deposit"]);
        assert_eq!(signs("پۇلنى بىخەتەر ھېساباتقا يۆتكەڭ"), ["safe-account"]);
        assert_eq!(signs("دەلىللەش كودىنى ئېيتىپ بېرىڭ"), ["verification-code"]);
    }

    #[test]
    fn several_signs_are_reported_once_each_in_list_order() {
        let text = "验证码 safe account 冻结 冻结 deposit";
        assert_eq!(signs(text), ["frozen-account", "deposit", "safe-account", "verification-code"]);
    }

    #[test]
    fn traditional_characters_match_too() {
        assert_eq!(signs("帳戶被凍結，要轉到安全帳戶"), ["frozen-account", "safe-account"]);
    }

    #[test]
    fn normalise_lowers_and_squeezes_separators() {
        assert_eq!(normalise("  Safe -_ ACCOUNT  "), "safe account");
        assert_eq!(normalise("安全账户"), "安全账户");
    }

    #[test]
    fn every_term_is_written_as_normalise_leaves_it() {
        for sign in SIGNS {
            for term in sign.terms {
                assert_eq!(normalise(term), *term, "{}: `{term}` would never match", sign.key);
            }
        }
    }

    #[test]
    fn signs_round_trip_through_their_column() {
        assert_eq!(to_column(&[]), None);
        let stored = to_column(&["deposit", "safe-account"]).unwrap();
        let back: Vec<String> = from_column(serde_json::Value::String(stored)).unwrap();
        assert_eq!(back, ["deposit", "safe-account"]);
        assert!(from_column(serde_json::Value::Null).unwrap().is_empty());
    }
}
