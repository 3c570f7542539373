//! What the service says to people, in Chinese, Uyghur and English: the
//! kinds of legal question, the routes left when a mediation ends without
//! agreement, and the 12348 public legal service line.

use onewindow_sdk::Localized;

/// A code and its name in the three languages.
pub type Named = (&'static str, Localized<&'static str>);

/// The kinds of legal question (and of dispute brought to mediation).
pub const CATEGORIES: [Named; 7] = [
    ("family", Localized { zh: "婚姻家庭", ug: "نىكاھ ۋە ئائىلە", en: "Marriage and family" }),
    ("labour", Localized { zh: "劳动争议", ug: "ئەمگەك ماجىراسى", en: "Labour and wages" }),
    ("tenancy", Localized { zh: "房屋租赁", ug: "ئۆي ئىجارىسى", en: "Tenancy" }),
    ("neighbour", Localized { zh: "邻里纠纷", ug: "قوشنىلار ماجىراسى", en: "Neighbour dispute" }),
    ("consumer", Localized { zh: "消费维权", ug: "ئىستېمالچى ھوقۇقى", en: "Consumer rights" }),
    ("fraud", Localized { zh: "防范诈骗", ug: "ئالدامچىلىق", en: "Fraud" }),
    ("other", Localized { zh: "其他", ug: "باشقا", en: "Other" }),
];

/// What a party may still do when a mediation ends without agreement
/// (人民调解法 第二十六条: the mediator tells them of these routes).
pub const ROUTES: [Named; 4] = [
    (
        "arbitration",
        Localized {
            zh: "申请仲裁", ug: "كېسىم (ئەربىتراژ) ئىلتىماس قىلىش", en: "Apply for arbitration"
        },
    ),
    (
        "litigation",
        Localized {
            zh: "向人民法院起诉", ug: "خەلق سوتىغا دەۋا قىلىش", en: "Bring a lawsuit in the people's court"
        },
    ),
    (
        "administrative",
        Localized {
            zh: "请求有关行政机关处理",
            ug: "مۇناسىۋەتلىك مەمۇرىي ئورگانغا مۇراجىئەت قىلىش",
            en: "Ask the competent administrative authority",
        },
    ),
    (
        "legal-aid",
        Localized {
            zh: "申请法律援助", ug: "قانۇن ياردىمى ئىلتىماس قىلىش", en: "Apply for legal aid"
        },
    ),
];

/// The public legal service line, shown wherever a resident asks.
pub const HOTLINE_NUMBER: &str = "12348";

pub const HOTLINE: Localized<&str> = Localized {
    zh: "12348 公共法律服务热线：免费法律咨询，可帮您找到法律援助和调解。",
    ug: "12348 ئاممىۋى قانۇن مۇلازىمىتى تېلېفونى: ھەقسىز قانۇن مەسلىھەتى، قانۇن ياردىمى ۋە ياراشتۇرۇش تېپىشىڭىزغا ياردەم بېرىدۇ.",
    en: "12348 public legal service line: free legal advice, and help finding legal aid and mediation.",
};

/// What people's mediation is, in a few lines (人民调解法).
pub const MEDIATION_FACTS: Localized<&str> = Localized {
    zh: "人民调解免费、自愿。调解达成协议的，制作人民调解协议书，双方可自协议生效之日起 30 日内共同向人民法院申请司法确认；未达成协议的，调解员告知当事人可依法通过仲裁、诉讼等途径维护权利。",
    ug: "خەلق ياراشتۇرۇشى ھەقسىز ۋە ئىختىيارىي. كېلىشىم تۈزۈلسە، خەلق ياراشتۇرۇش كېلىشىمنامىسى تۈزۈلىدۇ، ئىككى تەرەپ كېلىشىم كۈچكە ئىگە بولغاندىن كېيىنكى 30 كۈن ئىچىدە بىرلىكتە خەلق سوتىدىن ئەدلىي جەھەتتىن جەزملەشتۈرۈشنى ئىلتىماس قىلسا بولىدۇ؛ كېلىشىم تۈزۈلمىسە، ياراشتۇرغۇچى تەرەپلەرگە كېسىم ياكى دەۋا قاتارلىق يوللار ئارقىلىق ھوقۇقىنى قوغدىيالايدىغانلىقىنى ئۇقتۇرىدۇ.",
    en: "People's mediation is free and voluntary. If the parties agree, a written mediation agreement is made, which they may together take to the people's court for judicial confirmation within 30 days of it taking effect; if not, the mediator tells them of their other routes, such as arbitration or a lawsuit.",
};

/// What an agreement lets the parties do next.
pub const AGREEMENT_NOTICE: Localized<&str> = Localized {
    zh: "本调解协议书具有法律约束力。双方可自协议生效之日起 30 日内共同向人民法院申请司法确认。",
    ug: "بۇ ياراشتۇرۇش كېلىشىمنامىسى قانۇنىي چەكلەش كۈچىگە ئىگە. ئىككى تەرەپ كېلىشىم كۈچكە ئىگە بولغاندىن كېيىنكى 30 كۈن ئىچىدە بىرلىكتە خەلق سوتىدىن ئەدلىي جەھەتتىن جەزملەشتۈرۈشنى ئىلتىماس قىلسا بولىدۇ.",
    en: "This mediation agreement is legally binding. Within 30 days of it taking effect both parties may together ask the people's court to confirm it judicially.",
};

/// What a party is told when no agreement was reached.
pub const NO_AGREEMENT_NOTICE: Localized<&str> = Localized {
    zh: "调解未达成协议。您可以通过下列途径依法维护自己的权利：",
    ug: "ياراشتۇرۇشتا كېلىشىم تۈزۈلمىدى. تۆۋەندىكى يوللار ئارقىلىق قانۇن بويىچە ھوقۇقىڭىزنى قوغدىيالايسىز:",
    en: "The mediation ended without agreement. You may protect your rights as the law allows through:",
};

/// The codes of a list of named things.
pub fn codes(list: &[Named]) -> Vec<&'static str> {
    list.iter().map(|(code, _)| *code).collect()
}

/// The name of `code` in `list`, or the code itself when unknown.
pub fn name_of(list: &[Named], code: &str, language: onewindow_sdk::Language) -> String {
    list.iter().find(|(c, _)| *c == code).map_or_else(|| code.to_owned(), |(_, name)| (*name.pick(language)).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_text_is_written_in_all_three_languages() {
        for (code, name) in CATEGORIES.iter().chain(ROUTES.iter()) {
            assert!(!code.is_empty());
            assert!(!name.zh.is_empty() && !name.ug.is_empty() && !name.en.is_empty(), "{code}");
        }
        for text in [HOTLINE, MEDIATION_FACTS, AGREEMENT_NOTICE, NO_AGREEMENT_NOTICE] {
            assert!(!text.zh.is_empty() && !text.ug.is_empty() && !text.en.is_empty());
        }
        assert!(HOTLINE.zh.contains(HOTLINE_NUMBER) && HOTLINE.ug.contains(HOTLINE_NUMBER));
    }
}
