//! The anti-fraud warning a resident is shown at once, in their language.

use onewindow_sdk::Language;
use serde::Serialize;

use crate::texts::{FRAUD_ADVICE, FRAUD_WARNING, HOTLINES};

/// A warning (signs were found) or advice (none were), with the numbers to call.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct FraudWarning {
    /// `warning` when signs of telecom fraud were found, else `advice`.
    pub level: &'static str,
    /// The signs found (`frozen-account`, `unfreeze`, `deposit`, `safe-account`, `verification-code`).
    pub signs: Vec<&'static str>,
    /// What to do: stop paying, share no verification code, call 96110 or 110.
    pub message: &'static str,
    /// The anti-fraud line and the police.
    pub hotlines: [&'static str; 2],
    /// The message's language (`zh`, `ug`, `en`) and writing direction.
    pub language: &'static str,
    pub dir: &'static str,
}

impl FraudWarning {
    /// The warning for `signs`, or advice when there are none.
    pub fn new(signs: Vec<&'static str>, language: Language) -> FraudWarning {
        let (level, text) = if signs.is_empty() { ("advice", FRAUD_ADVICE) } else { ("warning", FRAUD_WARNING) };
        FraudWarning {
            level,
            signs,
            message: text.pick(language),
            hotlines: HOTLINES,
            language: language.tag(),
            dir: language.direction(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_warning_says_stop_paying_no_codes_and_the_hotlines_in_every_language() {
        for language in [Language::Zh, Language::Ug, Language::En] {
            let warning = FraudWarning::new(vec!["deposit"], language);
            assert_eq!(warning.level, "warning");
            assert!(warning.message.contains("96110") && warning.message.contains("110"), "{language:?}");
        }
        let en = FraudWarning::new(vec!["deposit"], Language::En).message;
        assert!(en.contains("Stop transferring or paying") && en.contains("verification code"));
        assert!(FraudWarning::new(vec!["deposit"], Language::Zh).message.contains("验证码"));
        assert!(FraudWarning::new(vec!["deposit"], Language::Ug).message.contains("دەلىللەش كودى"));
        assert_eq!(FraudWarning::new(vec!["deposit"], Language::Ug).dir, "rtl");
    }

    #[test]
    fn no_sign_is_advice_with_the_same_numbers() {
        let advice = FraudWarning::new(Vec::new(), Language::En);
        assert_eq!((advice.level, advice.hotlines), ("advice", ["96110", "110"]));
    }
}
