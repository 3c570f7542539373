//! What a resident must do at once for an urgent problem: shown before they
//! report (with the category), in the answer to the report, on the referral
//! while it is open, and sent to their inbox with the reference.

use onewindow_sdk::{Language, Localized};
use serde::Serialize;

/// The steps for one urgent category.
#[derive(Debug)]
pub struct Safety {
    pub instruction: Localized<&'static str>,
    /// The unit whose own line the resident calls; its number comes from the
    /// directory, so an admin's correction shows at once.
    pub line_unit: &'static str,
    pub line_label: Localized<&'static str>,
    /// Public numbers to call besides the unit's line.
    pub public_lines: &'static [PublicLine],
    /// The inbox template with the same steps.
    pub template: &'static str,
}

/// A public number (fire and rescue, a national service line).
#[derive(Debug)]
pub struct PublicLine {
    pub number: &'static str,
    pub label: Localized<&'static str>,
}

/// A gas smell: the usual steps. No spark (no switches, flames or calls
/// indoors), air the home, leave, and call only once outside.
pub const GAS_SMELL: Safety = Safety {
    instruction: Localized {
        zh: "请勿开关电灯和电器，勿使用明火，勿在室内打电话；立即打开门窗通风；离开房屋并提醒邻居；到室外安全处后再拨打燃气公司24小时抢修电话或119。",
        ug: "چىراغ ۋە ئېلېكتر سايمانلىرىنىڭ ئاچقۇچلىرىغا تەگمەڭ، ئوت ياقماڭ، ئۆي ئىچىدە تېلېفون ئۇرماڭ؛ دەرھال ئىشىك-دېرىزىلەرنى ئېچىپ ھاۋا ئالماشتۇرۇڭ؛ ئۆيدىن چىقىپ قوشنىلىرىڭىزنىمۇ ئاگاھلاندۇرۇڭ؛ سىرتتىكى بىخەتەر جايدا تۇرۇپ گاز شىركىتىنىڭ 24 سائەتلىك جىددىي رېمونت تېلېفونىغا ياكى 119 غا تېلېفون قىلىڭ.",
        en: "Do not switch lights or appliances on or off, do not use any flame and do not make calls indoors; open doors and windows; leave and warn your neighbours; once safely outside, call the gas company's 24-hour line or 119.",
    },
    line_unit: "partner-gas",
    line_label: Localized {
        zh: "燃气公司24小时抢修电话",
        ug: "گاز شىركىتىنىڭ 24 سائەتلىك جىددىي رېمونت تېلېفونى",
        en: "Gas company 24-hour line",
    },
    public_lines: &[PublicLine {
        number: "119",
        label: Localized {
            zh: "火警（消防救援）", ug: "ئوت ئاپىتى ۋە قۇتقۇزۇش", en: "Fire and rescue"
        },
    }],
    template: "safety-gas-smell",
};

/// A fallen power line: keep 10 m away, keep others away, call the
/// electricity company; 95598 is the common national power service line.
pub const POWER_LINE_DOWN: Safety = Safety {
    instruction: Localized {
        zh: "请远离断落的电线及其接触的物体至少10米，并提醒他人远离；切勿触碰或试图移动电线。请拨打供电公司电话；95598为全国统一供电服务热线，24小时受理。",
        ug: "ئۈزۈلۈپ چۈشكەن سىمدىن ۋە ئۇنىڭغا تېگىپ تۇرغان نەرسىلەردىن كەم دېگەندە 10 مېتىر يىراق تۇرۇڭ، باشقىلارنىمۇ يىراقلاشتۇرۇڭ؛ سىمغا ھەرگىز تەگمەڭ ۋە ئۇنى يۆتكىمەكچى بولماڭ. توك تەمىنلەش شىركىتىگە تېلېفون قىلىڭ؛ 95598 مەملىكەت بويىچە بىرلىككە كەلگەن توك مۇلازىمەت لىنىيىسى بولۇپ، 24 سائەت ئىشلەيدۇ.",
        en: "Keep at least 10 metres away from the fallen line and anything it touches, and keep others away; never touch it or try to move it. Call the electricity company; 95598 is the national power service line, open 24 hours.",
    },
    line_unit: "partner-electricity",
    line_label: Localized {
        zh: "供电公司服务电话",
        ug: "توك تەمىنلەش شىركىتىنىڭ تېلېفونى",
        en: "Electricity company line",
    },
    public_lines: &[PublicLine {
        number: "95598",
        label: Localized {
            zh: "全国统一供电服务热线（24小时）",
            ug: "مەملىكەت بويىچە توك مۇلازىمەت لىنىيىسى (24 سائەت)",
            en: "National power service line (24 hours)",
        },
    }],
    template: "safety-power-line-down",
};

/// The steps as answered, in the caller's language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct SafetyView {
    /// What to do now.
    pub instruction: String,
    /// Whom to call, the unit's own line first.
    pub call: Vec<Line>,
}

/// A number to call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Line {
    pub number: String,
    pub label: String,
}

impl Safety {
    /// The steps in `language`, with `unit_line` (the directory's number for
    /// [`Safety::line_unit`]) first if known; a public number equal to it is
    /// not repeated.
    pub fn view(&self, unit_line: Option<&str>, language: Language) -> SafetyView {
        let mut call: Vec<Line> = unit_line
            .map(|number| Line { number: number.to_owned(), label: (*self.line_label.pick(language)).to_owned() })
            .into_iter()
            .collect();
        for line in self.public_lines {
            if unit_line != Some(line.number) {
                call.push(Line { number: line.number.to_owned(), label: (*line.label.pick(language)).to_owned() });
            }
        }
        SafetyView { instruction: (*self.instruction.pick(language)).to_owned(), call }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gas_steps_say_no_spark_then_leave_then_call_from_outside() {
        let view = GAS_SMELL.view(Some("0991-96777"), Language::En);
        for step in ["switch", "flame", "open doors and windows", "leave", "outside", "119"] {
            assert!(view.instruction.contains(step), "{step}: {}", view.instruction);
        }
        let numbers: Vec<&str> = view.call.iter().map(|l| l.number.as_str()).collect();
        assert_eq!(numbers, ["0991-96777", "119"]);
    }

    #[test]
    fn the_power_line_steps_keep_ten_metres_and_do_not_repeat_95598() {
        let view = POWER_LINE_DOWN.view(Some("95598"), Language::Zh);
        assert!(view.instruction.contains("10米") && view.instruction.contains("95598"));
        assert_eq!(view.call.len(), 1, "the directory's line is already the national one");
        assert_eq!(POWER_LINE_DOWN.view(Some("0991-1234567"), Language::Ug).call.len(), 2);
        assert_eq!(
            GAS_SMELL.view(None, Language::En).call[0].number,
            "119",
            "the public line stays when the unit has none"
        );
    }
}
