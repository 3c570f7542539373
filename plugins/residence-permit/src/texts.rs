//! What residents read, in Chinese, Uyghur and English: what happens next
//! for each status, and the national rules' messages (when one may apply,
//! when the endorsement window opens). Inbox messages are the templates in
//! `plugin.toml`; the checklist's names are in `requirements`.
//!
//! Field-format messages of a 422 ("is required", "must be a date written
//! YYYY-MM-DD") are the SDK's, in English like the platform's own; the
//! messages about the rules below are in the caller's language and always
//! carry the dates, so an app can show them as they are.

use onewindow_sdk::{Language, Localized};

type Text = Localized<&'static str>;

/// `text` in `language` with every `{name}` replaced by its value.
pub fn fill(text: &Text, language: Language, params: &[(&str, &str)]) -> String {
    params
        .iter()
        .fold((*text.pick(language)).to_owned(), |out, (name, value)| out.replace(&format!("{{{name}}}"), value))
}

/// The rules in one paragraph (`GET /requirements`).
pub const SUMMARY: Text = Localized {
    zh: "在本市居住半年以上，符合有合法稳定就业、合法稳定住所、连续就读条件之一的公民，可以申领居住证\
         （《居住证暂行条例》第二条）。请先办理居住登记（流动人口登记）；半年自登记的来本地日期起算。\
         派出所自受理之日起 15 日内发证；居住证有效期一年，每年在有效期满前 30 日内签注，逾期未签注的失效。",
    ug: "بۇ شەھەردە يېرىم يىلدىن ئارتۇق تۇرغان، قانۇنلۇق ۋە مۇقىم ئىشقا ئورۇنلاشقان، قانۇنلۇق ۋە مۇقىم تۇرالغۇسى بار \
         ياكى ئۈزلۈكسىز ئوقۇۋاتقان شەرتلەرنىڭ بىرىگە توشىدىغان پۇقرالار تۇرۇش ئىجازەتنامىسى ئىلتىماس قىلالايدۇ \
         («تۇرۇش ئىجازەتنامىسى ۋاقىتلىق نىزامى» 2-ماددا). ئالدى بىلەن تۇرۇش تىزىملىتىڭ (ئېقىم نوپۇس تىزىملىتىش)؛ \
         يېرىم يىل تىزىملاتقان كەلگەن ۋاقىتتىن باشلاپ ھېسابلىنىدۇ. ساقچىخانا قوبۇل قىلغاندىن كېيىن 15 كۈن ئىچىدە \
         تارقىتىدۇ؛ ئىناۋەتلىك مۇددىتى بىر يىل، ھەر يىلى مۇددىتى توشۇشتىن بۇرۇنقى 30 كۈن ئىچىدە يىللىق ئىمزا قويدۇرۇلىدۇ، \
         ۋاقتىدا قويدۇرۇلمىسا ئىناۋەتسىز بولىدۇ.",
    en: "Citizens who have lived here for at least six months and meet one of the conditions (lawful stable \
         employment, lawful stable residence, or continuous study) may apply for a residence permit (Interim \
         Regulations on Residence Permits, art. 2). Register your residence (floating-population registration) \
         first: the six months count from the arrival date you register. The police station issues the permit \
         within 15 days of acceptance; it is valid for one year and is endorsed every year in the 30 days before \
         it expires, or it lapses.",
};

/// What happens next for an application in `status`.
pub fn application_next(status: &str) -> &'static Text {
    match status {
        "submitted" => &SUBMITTED,
        "under-review" => &UNDER_REVIEW,
        "more-info-requested" => &MORE_INFO,
        "approved" => &APPROVED,
        "issued" => &ISSUED,
        "rejected" => &REJECTED,
        "withdrawn" => &WITHDRAWN,
        _ => &UNKNOWN,
    }
}

const SUBMITTED: Text = Localized {
    zh: "申请已提交。派出所户籍窗口将进行审核，请备好清单所列材料的原件以备核验；自受理之日起 15 日内发证。",
    ug: "ئىلتىماسىڭىز يوللاندى. ساقچىخانا نوپۇس كۆزنىكى تەكشۈرىدۇ؛ تىزىملىكتىكى ماتېرىياللارنىڭ ئەسلى نۇسخىسىنى \
         تەييارلاپ قويۇڭ. قوبۇل قىلىنغاندىن كېيىن 15 كۈن ئىچىدە تارقىتىلىدۇ.",
    en: "Submitted. The police station's registration desk will review it; keep the originals of the documents \
         in the checklist ready to show. The permit is issued within 15 days of acceptance.",
};

const UNDER_REVIEW: Text = Localized {
    zh: "派出所正在审核您的申请。如需补充材料会通知您；审核通过后即制证。",
    ug: "ساقچىخانا ئىلتىماسىڭىزنى تەكشۈرۈۋاتىدۇ. قوشۇمچە ماتېرىيال كېرەك بولسا سىزگە ئۇقتۇرىمىز؛ تەستىقلانغاندىن \
         كېيىن ئىجازەتنامە ياسىلىدۇ.",
    en: "The police station is reviewing your application. If anything is missing you will be told; once \
         approved, the permit is made.",
};

const MORE_INFO: Text = Localized {
    zh: "需要补充材料：请查看民警的说明，更正或补充后重新提交申请。补齐之前办理暂停。",
    ug: "قوشۇمچە ماتېرىيال كېرەك: ساقچىنىڭ چۈشەندۈرۈشىنى كۆرۈپ، ئىلتىماسنى تۈزىتىپ ياكى تولۇقلاپ قايتا يوللاڭ. \
         تولۇقلانمىغۇچە بىر تەرەپ قىلىش توختىتىلىدۇ.",
    en: "More is needed: read the officer's message, correct or complete your application and resubmit it. The \
         case waits until you do.",
};

const APPROVED: Text = Localized {
    zh: "申请已批准，正在制证。签发后您会收到通知。",
    ug: "ئىلتىماسىڭىز تەستىقلاندى، ئىجازەتنامە ياسىلىۋاتىدۇ. تارقىتىلغاندا ئۇقتۇرۇش تاپشۇرۇۋالىسىز.",
    en: "Approved: your permit is being made. You will get a message when it is issued.",
};

const ISSUED: Text = Localized {
    zh: "居住证已签发，有效期一年。请在有效期满前 30 日内申请签注，每签注一次延长一年。",
    ug: "تۇرۇش ئىجازەتنامىسى تارقىتىلدى، ئىناۋەتلىك مۇددىتى بىر يىل. مۇددىتى توشۇشتىن بۇرۇنقى 30 كۈن ئىچىدە \
         يىللىق ئىمزا ئىلتىماس قىلىڭ؛ ھەر قېتىم بىر يىل ئۇزارتىلىدۇ.",
    en: "Your residence permit is issued, valid for one year. Ask for its endorsement in the 30 days before it \
         expires; each endorsement adds a year.",
};

const REJECTED: Text = Localized {
    zh: "申请未获批准，原因见驳回理由。符合条件后可重新申请。",
    ug: "ئىلتىماسىڭىز تەستىقلانمىدى، سەۋەبى كۆرسىتىلدى. شەرتكە توشقاندا قايتا ئىلتىماس قىلالايسىز.",
    en: "Not approved; the reason is given with the application. You may apply again once you meet the conditions.",
};

const WITHDRAWN: Text = Localized {
    zh: "您已撤回申请，可随时重新申请。",
    ug: "ئىلتىماسىڭىزنى قايتۇرۇۋالدىڭىز، خالىغان ۋاقىتتا قايتا ئىلتىماس قىلالايسىز.",
    en: "You withdrew this application. You may apply again at any time.",
};

const UNKNOWN: Text = Localized {
    zh: "如有疑问，请联系派出所户籍窗口。",
    ug: "سوئالىڭىز بولسا ساقچىخانا نوپۇس كۆزنىكى بىلەن ئالاقىلىشىڭ.",
    en: "If in doubt, contact the police station's registration desk.",
};

/// What happens next for an endorsement in `status`.
pub fn endorsement_next(status: &str) -> &'static Text {
    match status {
        "submitted" => &ENDORSEMENT_SUBMITTED,
        "approved" => &ENDORSEMENT_APPROVED,
        "rejected" => &ENDORSEMENT_REJECTED,
        _ => &UNKNOWN,
    }
}

const ENDORSEMENT_SUBMITTED: Text = Localized {
    zh: "签注申请已提交，派出所将在 5 日内办理。",
    ug: "يىللىق ئىمزا ئىلتىماسىڭىز يوللاندى، ساقچىخانا 5 كۈن ئىچىدە بىر تەرەپ قىلىدۇ.",
    en: "Your endorsement request is in; the police station decides within 5 days.",
};

const ENDORSEMENT_APPROVED: Text = Localized {
    zh: "签注已完成，居住证有效期延长一年。",
    ug: "يىللىق ئىمزا تاماملاندى، ئىجازەتنامىنىڭ مۇددىتى بىر يىل ئۇزارتىلدى.",
    en: "Endorsed: the permit is valid for another year.",
};

const ENDORSEMENT_REJECTED: Text = Localized {
    zh: "签注未获批准，原因见驳回理由。如有疑问请联系派出所。",
    ug: "يىللىق ئىمزا تەستىقلانمىدى، سەۋەبى كۆرسىتىلدى. سوئالىڭىز بولسا ساقچىخانا بىلەن ئالاقىلىشىڭ.",
    en: "Not endorsed; the reason is given. Contact the police station if in doubt.",
};

/// A permit's status (`valid`, `endorsement-due`, `lapsed`) for people.
pub fn permit_status_label(status: &str) -> &'static Text {
    match status {
        "valid" => &Localized { zh: "有效", ug: "ئىناۋەتلىك", en: "valid" },
        "endorsement-due" => {
            &Localized { zh: "待签注", ug: "يىللىق ئىمزا ۋاقتى كەلدى", en: "endorsement due" }
        }
        _ => &Localized { zh: "已失效", ug: "ئىناۋەتسىز", en: "lapsed" },
    }
}

/// A permit that is valid: when the window opens (`{opens}`).
pub const PERMIT_VALID: Text = Localized {
    zh: "居住证有效。自 {opens} 起可申请签注（有效期至 {valid_until}）。",
    ug: "ئىجازەتنامە ئىناۋەتلىك. {opens} دىن باشلاپ يىللىق ئىمزا ئىلتىماس قىلالايسىز (ئىناۋەتلىك مۇددىتى {valid_until} غىچە).",
    en: "Valid. You may ask for the endorsement from {opens} (it is valid until {valid_until}).",
};

/// A permit in its endorsement window.
pub const PERMIT_DUE: Text = Localized {
    zh: "请于 {valid_until} 前申请签注，逾期未签注的居住证失效。",
    ug: "{valid_until} دىن بۇرۇن يىللىق ئىمزا ئىلتىماس قىلىڭ؛ ۋاقتىدا قويدۇرۇلمىسا ئىجازەتنامە ئىناۋەتسىز بولىدۇ.",
    en: "Ask for the endorsement by {valid_until}; a permit not endorsed by then lapses.",
};

/// A permit whose endorsement is being decided.
pub const PERMIT_PENDING: Text = Localized {
    zh: "签注申请正在办理中。",
    ug: "يىللىق ئىمزا ئىلتىماسى بىر تەرەپ قىلىنىۋاتىدۇ.",
    en: "Your endorsement request is being decided.",
};

/// A lapsed permit.
pub const PERMIT_LAPSED: Text = Localized {
    zh: "本证已于 {valid_until} 到期且未签注，已失效；请重新申请居住证。",
    ug: "بۇ ئىجازەتنامىنىڭ مۇددىتى {valid_until} دا توشقان، يىللىق ئىمزا قويدۇرۇلمىغاچقا ئىناۋەتسىز بولدى؛ يېڭىدىن ئىلتىماس قىلىڭ.",
    en: "This permit was valid until {valid_until} and was not endorsed: it has lapsed. Apply for a new permit.",
};

/// 422 on `arrival_date`: six months are not complete (`{date}`: the first day one may apply).
pub const TOO_EARLY: Text = Localized {
    zh: "须在本地居住满六个月：您自 {date} 起可以申请。",
    ug: "بۇ يەردە ئالتە ئاي تۇرغان بولۇشىڭىز كېرەك: {date} دىن باشلاپ ئىلتىماس قىلالايسىز.",
    en: "You must have lived here six months: you may apply from {date}.",
};

/// Six months are complete (the registration's next step).
pub const MAY_APPLY: Text = Localized {
    zh: "您已在本地居住满六个月，可以申请居住证。",
    ug: "بۇ يەردە ئالتە ئاي تۇردىڭىز: ھازىر تۇرۇش ئىجازەتنامىسى ئىلتىماس قىلالايسىز.",
    en: "You have lived here six months: you may apply for a residence permit now.",
};

/// 409: the window has not opened (`{opens}`, `{valid_until}`).
pub const WINDOW_NOT_YET: Text = Localized {
    zh: "签注须在有效期满前 30 日内申请：本证有效期至 {valid_until}，自 {opens} 起可申请签注。",
    ug: "يىللىق ئىمزا مۇددىتى توشۇشتىن بۇرۇنقى 30 كۈن ئىچىدە ئىلتىماس قىلىنىدۇ: بۇ ئىجازەتنامە {valid_until} غىچە ئىناۋەتلىك، \
         {opens} دىن باشلاپ ئىلتىماس قىلالايسىز.",
    en: "An endorsement is asked for in the 30 days before the permit expires: it is valid until {valid_until}, so \
         you may ask from {opens}.",
};

/// 409: an endorsement is already under way (`{reference}`).
pub const ENDORSEMENT_UNDER_WAY: Text = Localized {
    zh: "本证已有签注申请正在办理（{reference}）。",
    ug: "بۇ ئىجازەتنامىنىڭ يىللىق ئىمزا ئىلتىماسى بىر تەرەپ قىلىنىۋاتىدۇ ({reference}).",
    en: "An endorsement of this permit is already under way ({reference}).",
};

/// 409: an application is already under way (`{id}`).
pub const APPLICATION_UNDER_WAY: Text = Localized {
    zh: "您已有一份居住证申请正在办理（申请 {id}），请勿重复申请。",
    ug: "سىزنىڭ بىر تۇرۇش ئىجازەتنامىسى ئىلتىماسىڭىز بىر تەرەپ قىلىنىۋاتىدۇ (ئىلتىماس {id})، قايتا ئىلتىماس قىلماڭ.",
    en: "You already have an application under way (application {id}); follow it instead of applying again.",
};

/// 409: the resident holds a permit that has not lapsed (`{number}`, `{valid_until}`).
pub const PERMIT_HELD: Text = Localized {
    zh: "您持有的居住证 {number} 有效期至 {valid_until}，尚未失效；请按期签注，无需重新申请。",
    ug: "سىزدىكى {number} نومۇرلۇق تۇرۇش ئىجازەتنامىسى {valid_until} غىچە ئىناۋەتلىك؛ قايتا ئىلتىماس قىلماي، ۋاقتىدا يىللىق ئىمزا قويدۇرۇڭ.",
    en: "You hold residence permit {number}, valid until {valid_until}: endorse it when due instead of applying again.",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_filled_in_every_language() {
        for language in [Language::Zh, Language::Ug, Language::En] {
            let text = fill(&WINDOW_NOT_YET, language, &[("opens", "2027-10-28"), ("valid_until", "2027-11-27")]);
            assert!(text.contains("2027-10-28") && text.contains("2027-11-27") && !text.contains('{'), "{text}");
            let text = fill(&TOO_EARLY, language, &[("date", "2027-01-15")]);
            assert!(text.contains("2027-01-15") && !text.contains('{'), "{text}");
        }
    }

    #[test]
    fn every_status_has_its_own_next_step() {
        let statuses =
            ["submitted", "under-review", "more-info-requested", "approved", "issued", "rejected", "withdrawn"];
        let texts: Vec<&str> = statuses.iter().map(|s| application_next(s).en).collect();
        for (i, text) in texts.iter().enumerate() {
            assert!(!texts[..i].contains(text), "{} repeats a text", statuses[i]);
            assert_ne!(*text, UNKNOWN.en);
        }
        assert_eq!(endorsement_next("approved").zh, ENDORSEMENT_APPROVED.zh);
    }
}
