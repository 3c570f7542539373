//! The required-documents checklist per qualifying condition (居住证暂行条例,
//! art. 2 and 9): every applicant brings the common items; each condition
//! adds its proof. Items sharing a `group` are alternatives: one document
//! of each group is enough (a labour contract *or* a business licence).

use onewindow_sdk::{Language, Localized};
use serde::Serialize;

/// One document of the checklist.
#[derive(Debug, Clone, Copy)]
pub struct Item {
    pub code: &'static str,
    /// Items of the same group are alternatives (one of them is enough).
    pub group: &'static str,
    pub names: Localized<&'static str>,
}

/// A qualifying condition (the application's `reason`).
#[derive(Debug, Clone, Copy)]
pub struct Condition {
    pub code: &'static str,
    pub names: Localized<&'static str>,
    pub description: Localized<&'static str>,
    /// The proof this condition adds to the common items.
    pub items: &'static [Item],
}

/// What every applicant brings.
pub const COMMON: [Item; 3] = [
    Item {
        code: "resident-id-card",
        group: "resident-id-card",
        names: Localized { zh: "居民身份证", ug: "ئاھالىلەر كىملىكى", en: "Resident ID card" },
    },
    Item {
        code: "recent-photo",
        group: "recent-photo",
        names: Localized {
            zh: "近期免冠彩色证件照片",
            ug: "يېقىندا تارتقان باش كىيىمسىز رەڭلىك رەسىم",
            en: "A recent bareheaded colour ID photo",
        },
    },
    Item {
        code: "floating-registration",
        group: "floating-registration",
        names: Localized {
            zh: "居住登记（流动人口登记）证明，登记满半年",
            ug: "يېرىم يىلدىن ئاشقان تۇرۇش تىزىملىتىش (ئېقىم نوپۇس تىزىملىتىش) ئىسپاتى",
            en: "Proof of residence registration (floating-population registration) at least six months old",
        },
    },
];

/// The three conditions, in the order the regulation names them.
pub const CONDITIONS: [Condition; 3] = [
    Condition {
        code: "employment",
        names: Localized {
            zh: "合法稳定就业",
            ug: "قانۇنلۇق ۋە مۇقىم ئىشقا ئورۇنلىشىش",
            en: "Lawful stable employment",
        },
        description: Localized {
            zh: "在本地有合法稳定的工作：劳动合同或营业执照（二者之一）。",
            ug: "بۇ يەردە قانۇنلۇق ۋە مۇقىم خىزمىتىڭىز بار: ئەمگەك توختامى ياكى تىجارەت كىنىشكىسى (بىرى).",
            en: "You work here lawfully and stably: a labour contract or a business licence (either).",
        },
        items: &[
            Item {
                code: "labour-contract",
                group: "employment-proof",
                names: Localized { zh: "劳动合同", ug: "ئەمگەك توختامى", en: "Labour contract" },
            },
            Item {
                code: "business-licence",
                group: "employment-proof",
                names: Localized {
                    zh: "营业执照", ug: "تىجارەت كىنىشكىسى", en: "Business licence"
                },
            },
        ],
    },
    Condition {
        code: "residence",
        names: Localized {
            zh: "合法稳定住所", ug: "قانۇنلۇق ۋە مۇقىم تۇرالغۇ", en: "Lawful stable residence"
        },
        description: Localized {
            zh: "在本地有合法稳定的住所：房屋产权证明或经登记备案的租赁合同（二者之一）。",
            ug: "بۇ يەردە قانۇنلۇق ۋە مۇقىم تۇرالغۇڭىز بار: ئۆي مۈلۈك ھوقۇقى گۇۋاھنامىسى ياكى تىزىملاتقان ئىجارە توختامى (بىرى).",
            en: "You live here in a lawful stable home: a property deed or a registered lease (either).",
        },
        items: &[
            Item {
                code: "property-deed",
                group: "residence-proof",
                names: Localized {
                    zh: "房屋产权证明（不动产权证书）",
                    ug: "ئۆي مۈلۈك ھوقۇقى گۇۋاھنامىسى",
                    en: "Property deed",
                },
            },
            Item {
                code: "registered-lease",
                group: "residence-proof",
                names: Localized {
                    zh: "经登记备案的房屋租赁合同",
                    ug: "تىزىملاتقان ئۆي ئىجارە توختامى",
                    en: "Registered lease",
                },
            },
        ],
    },
    Condition {
        code: "study",
        names: Localized { zh: "连续就读", ug: "ئۈزلۈكسىز ئوقۇش", en: "Continuous study" },
        description: Localized {
            zh: "在本地学校连续就读：学校出具的就读证明。",
            ug: "بۇ يەردىكى مەكتەپتە ئۈزلۈكسىز ئوقۇۋاتىسىز: مەكتەپ بەرگەن ئوقۇۋاتقانلىق ئىسپاتى.",
            en: "You study here continuously: an enrolment certificate from your school.",
        },
        items: &[Item {
            code: "enrolment-certificate",
            group: "study-proof",
            names: Localized {
                zh: "就读证明（学籍证明）", ug: "ئوقۇۋاتقانلىق ئىسپاتى", en: "Enrolment certificate"
            },
        }],
    },
];

/// The reasons an application may give: the conditions' codes.
pub const REASONS: [&str; 3] = ["employment", "residence", "study"];

/// The condition of `reason` (`work`, written by version 0.2, reads as employment).
pub fn condition(reason: &str) -> Option<&'static Condition> {
    let reason = if reason == "work" { "employment" } else { reason };
    CONDITIONS.iter().find(|c| c.code == reason)
}

/// Every item an application for `reason` needs: the common ones, then the condition's.
pub fn items_for(reason: &str) -> Vec<&'static Item> {
    let specific = condition(reason).map_or(&[][..], |c| c.items);
    COMMON.iter().chain(specific).collect()
}

/// A text in all three languages, as answered.
pub type Names = Localized<&'static str>;

/// One checklist item as answered.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ChecklistItem {
    /// A stable code, e.g. `labour-contract`.
    pub code: &'static str,
    /// Items sharing a group are alternatives: bring one document of each group.
    pub group: &'static str,
    /// The name in the caller's language.
    pub name: &'static str,
    pub names: Names,
}

impl ChecklistItem {
    pub fn new(item: &Item, language: Language) -> ChecklistItem {
        ChecklistItem { code: item.code, group: item.group, name: item.names.pick(language), names: item.names }
    }
}

/// The checklist of an application for `reason`, in `language`.
pub fn checklist(reason: &str, language: Language) -> Vec<ChecklistItem> {
    items_for(reason).into_iter().map(|item| ChecklistItem::new(item, language)).collect()
}

/// A field of the forms, labelled for people.
pub struct Label {
    pub field: &'static str,
    pub names: Localized<&'static str>,
}

/// The application's fields (and the registration's `origin`), labelled.
pub const LABELS: [Label; 10] = [
    Label { field: "full_name", names: Localized { zh: "姓名", ug: "ئىسىم-فامىلە", en: "Full name" } },
    Label {
        field: "id_number", names: Localized { zh: "公民身份号码", ug: "كىملىك نومۇرى", en: "ID number" }
    },
    Label {
        field: "current_address",
        names: Localized {
            zh: "现居住地址", ug: "ھازىرقى تۇرۇشلۇق ئادرېسى", en: "Current address"
        },
    },
    Label {
        field: "arrival_date",
        names: Localized {
            zh: "来本地居住日期", ug: "بۇ يەرگە كېلىپ تۇرۇشقا باشلىغان ۋاقىت", en: "Date of arrival"
        },
    },
    Label {
        field: "reason", names: Localized { zh: "申领条件", ug: "ئىلتىماس شەرتى", en: "Qualifying condition" }
    },
    Label {
        field: "employer_or_school",
        names: Localized {
            zh: "工作单位或就读学校", ug: "خىزمەت ئورنى ياكى مەكتەپ", en: "Employer or school"
        },
    },
    Label {
        field: "housing_type", names: Localized { zh: "住所类型", ug: "تۇرالغۇ تۈرى", en: "Housing" }
    },
    Label {
        field: "housing_certificate",
        names: Localized {
            zh: "不动产权证号或租赁登记备案号",
            ug: "ئۆي مۈلۈك گۇۋاھنامىسى ياكى ئىجارە تىزىملىتىش نومۇرى",
            en: "Property deed or lease registration number",
        },
    },
    Label { field: "phone", names: Localized { zh: "联系电话", ug: "تېلېفون نومۇرى", en: "Phone" } },
    Label {
        field: "origin",
        names: Localized {
            zh: "户籍所在地", ug: "نوپۇس تىزىملاتقان جاي", en: "Place of household registration"
        },
    },
];

/// The kinds of housing a `residence` application names.
pub const HOUSING_TYPES: [Label; 2] = [
    Label { field: "owned", names: Localized { zh: "自有住房", ug: "ئۆزىنىڭ ئۆيى", en: "Owned home" } },
    Label { field: "rented", names: Localized { zh: "租赁住房", ug: "ئىجارە ئۆي", en: "Rented home" } },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_condition_adds_its_proof_to_the_common_items() {
        let codes = |reason: &str| items_for(reason).iter().map(|i| i.code).collect::<Vec<_>>();
        assert_eq!(
            codes("employment"),
            ["resident-id-card", "recent-photo", "floating-registration", "labour-contract", "business-licence"]
        );
        assert_eq!(
            codes("residence"),
            ["resident-id-card", "recent-photo", "floating-registration", "property-deed", "registered-lease"]
        );
        assert_eq!(
            codes("study"),
            ["resident-id-card", "recent-photo", "floating-registration", "enrolment-certificate"]
        );
        assert_eq!(codes("work"), codes("employment"), "0.2's word reads as employment");
        assert_eq!(codes("family").len(), 3, "an unknown reason still lists the common items");
        assert_eq!(REASONS, CONDITIONS.map(|c| c.code));
    }

    #[test]
    fn codes_are_unique_and_every_text_is_in_three_languages() {
        let mut codes: Vec<&str> =
            COMMON.iter().chain(CONDITIONS.iter().flat_map(|c| c.items)).map(|i| i.code).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), 8);
        let texts = COMMON
            .iter()
            .chain(CONDITIONS.iter().flat_map(|c| c.items))
            .map(|i| i.names)
            .chain(CONDITIONS.iter().flat_map(|c| [c.names, c.description]))
            .chain(LABELS.iter().chain(&HOUSING_TYPES).map(|l| l.names));
        for text in texts {
            assert!(!text.zh.is_empty() && !text.ug.is_empty() && !text.en.is_empty(), "{text:?}");
        }
    }

    #[test]
    fn the_checklist_is_in_the_callers_language_with_all_three_names() {
        let items = checklist("study", Language::Ug);
        assert_eq!(items[3].name, "ئوقۇۋاتقانلىق ئىسپاتى");
        assert_eq!(items[3].names.en, "Enrolment certificate");
        assert_eq!(items[3].group, "study-proof");
    }
}
