//! The service's fixed vocabulary: the problem categories with their urgency
//! (and, for the urgent ones, the safety steps), the details a unit may ask
//! for, and the nine partner units. Compiled in rather than edited: an
//! urgency names a case kind the manifest declares, and safety steps are
//! reviewed text. What admins edit is who handles what (the directory).

use onewindow_sdk::Localized;

use crate::safety::{self, Safety};

/// The partner units of the manifest's `[[case-kinds]]`. The plugin cannot
/// ask the platform which units its grant names; the directory's seed holds
/// the same nine, and tests keep the three lists equal.
#[cfg(test)]
pub const PARTNER_UNITS: [&str; 9] = [
    "partner-electricity",
    "partner-water",
    "partner-gas",
    "partner-heating",
    "partner-property",
    "partner-telecom",
    "partner-cable-tv",
    "partner-postal",
    "partner-sanitation",
];

/// How soon a problem needs an answer. Each is a case kind of its own,
/// since the platform keeps time limits per case kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Urgency {
    /// A danger to people (gas smell, a fallen line): due within a day.
    Urgent,
    /// A supply is off: due within two days.
    Outage,
    /// Everything else: due within a week.
    Routine,
}

impl Urgency {
    /// Every urgency, most urgent first.
    #[cfg(test)]
    pub const ALL: [Urgency; 3] = [Urgency::Urgent, Urgency::Outage, Urgency::Routine];

    /// The name in the API, and the case kind in the manifest.
    pub const fn name(self) -> &'static str {
        match self {
            Urgency::Urgent => "urgent",
            Urgency::Outage => "outage",
            Urgency::Routine => "routine",
        }
    }

    /// The sort key of a unit's queue: urgent first.
    pub const fn priority(self) -> i64 {
        match self {
            Urgency::Urgent => 1,
            Urgency::Outage => 2,
            Urgency::Routine => 3,
        }
    }

    /// The first response this service asks of the unit, in hours. The
    /// case's own due date counts whole days (the manifest's
    /// `time-limit-days`, at least 1), too coarse for a gas leak.
    pub const fn respond_within_hours(self) -> Option<i64> {
        match self {
            Urgency::Urgent => Some(2),
            Urgency::Outage => Some(24),
            Urgency::Routine => None,
        }
    }
}

/// A kind of problem a resident reports.
#[derive(Debug)]
pub struct Category {
    /// Stable code, e.g. `gas-smell`.
    pub code: &'static str,
    pub urgency: Urgency,
    pub name: Localized<&'static str>,
    /// What to do at once, for urgent categories.
    pub safety: Option<&'static Safety>,
}

const fn category(
    code: &'static str,
    urgency: Urgency,
    zh: &'static str,
    ug: &'static str,
    en: &'static str,
) -> Category {
    Category { code, urgency, name: Localized { zh, ug, en }, safety: None }
}

/// Every category, in the order the directory lists them.
pub const CATEGORIES: [Category; 12] = [
    Category {
        safety: Some(&safety::GAS_SMELL),
        ..category("gas-smell", Urgency::Urgent, "燃气泄漏（闻到燃气味）", "گاز پۇرىقى (گاز ئېقىپ چىقىش)", "Gas smell")
    },
    category("no-gas", Urgency::Outage, "停气", "گاز توختاپ قالدى", "No gas supply"),
    Category {
        safety: Some(&safety::POWER_LINE_DOWN),
        ..category("power-line-down", Urgency::Urgent, "电线断落", "توك سىمى ئۈزۈلۈپ چۈشتى", "Power line down")
    },
    category("power-cut", Urgency::Outage, "停电", "توك توختاپ قالدى", "Power cut"),
    category("no-water", Urgency::Outage, "停水", "سۇ توختاپ قالدى", "No water"),
    category(
        "water-leak",
        Urgency::Outage,
        "水管漏水或爆裂",
        "سۇ تۇرۇبىسى ئېقىۋاتىدۇ ياكى يېرىلدى",
        "Leaking or burst water pipe",
    ),
    category(
        "heating",
        Urgency::Outage,
        "暖气不热或停暖",
        "ئىسسىتىش ئىسسىمايدۇ ياكى توختاپ قالدى",
        "Heating not working",
    ),
    category(
        "property-repair",
        Urgency::Routine,
        "房屋及公共设施维修",
        "ئۆي ۋە ئاممىۋى ئەسلىھە رېمونتى",
        "Property repair",
    ),
    category(
        "phone-broadband",
        Urgency::Routine,
        "电话或宽带故障",
        "تېلېفون ياكى كەڭ بەلۋاغلىق تور كاشىلىسى",
        "Phone or broadband fault",
    ),
    category("cable-tv", Urgency::Routine, "有线电视故障", "كابېللىق تېلېۋىزور كاشىلىسى", "Cable TV fault"),
    category("post", Urgency::Routine, "邮件投递问题", "پوچتا يەتكۈزۈش مەسىلىسى", "Post delivery problem"),
    category("rubbish", Urgency::Routine, "垃圾未清运", "ئەخلەت توشۇلمىدى", "Rubbish not collected"),
];

/// The category with `code`.
pub fn find_category(code: &str) -> Option<&'static Category> {
    CATEGORIES.iter().find(|c| c.code == code)
}

/// Every category code, in directory order.
pub fn category_codes() -> Vec<&'static str> {
    CATEGORIES.iter().map(|c| c.code).collect()
}

/// A detail a unit may ask for, so its staff can find the account or item.
#[derive(Debug)]
pub struct Detail {
    pub key: &'static str,
    pub label: Localized<&'static str>,
}

/// Every detail a unit may ask for.
pub const DETAILS: [Detail; 4] = [
    Detail {
        key: "account_number",
        label: Localized {
            zh: "户号（账单上的用户编号）",
            ug: "ئابونت نومۇرى (ھېسابات تالونىدىكى)",
            en: "Account number (on your bill)",
        },
    },
    Detail {
        key: "meter_number", label: Localized { zh: "表号", ug: "ھېسابلىغۇچ نومۇرى", en: "Meter number" }
    },
    Detail {
        key: "tracking_number",
        label: Localized { zh: "邮件单号", ug: "پوچتا يوللانما نومۇرى", en: "Tracking number" },
    },
    Detail {
        key: "started_at", label: Localized { zh: "开始时间", ug: "باشلانغان ۋاقتى", en: "When it started" }
    },
];

/// The detail with `key`.
pub fn find_detail(key: &str) -> Option<&'static Detail> {
    DETAILS.iter().find(|d| d.key == key)
}

/// Every detail key.
pub fn detail_keys() -> Vec<&'static str> {
    DETAILS.iter().map(|d| d.key).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_urgent_ones_carry_safety_steps() {
        let mut codes = category_codes();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), CATEGORIES.len());
        for category in &CATEGORIES {
            assert_eq!(category.urgency == Urgency::Urgent, category.safety.is_some(), "{}", category.code);
        }
    }

    #[test]
    fn urgencies_are_the_manifests_case_kinds_and_its_units_are_the_nine_partners() {
        // A plain scan: the crate has no TOML parser, and the manifest writes
        // each kind's name, limit and units on lines of their own.
        let manifest = include_str!("../plugin.toml");
        let kinds: Vec<&str> = manifest.split("[[case-kinds]]").skip(1).collect();
        assert_eq!(kinds.len(), Urgency::ALL.len());
        let line = |kind: &str, key: &str| kind.lines().find(|l| l.starts_with(key)).unwrap_or_default().to_owned();
        for (kind, urgency) in kinds.iter().zip(Urgency::ALL) {
            assert_eq!(line(kind, "name = "), format!("name = \"{}\"", urgency.name()));
            let units = line(kind, "units = ");
            let units: Vec<&str> = units.split('"').skip(1).step_by(2).collect();
            assert_eq!(units, PARTNER_UNITS, "{}", urgency.name());
        }
        let days: Vec<String> = kinds.iter().map(|k| line(k, "time-limit-days = ")).collect();
        assert_eq!(
            days,
            ["time-limit-days = 1", "time-limit-days = 2", "time-limit-days = 7"],
            "urgent is due soonest"
        );
    }
}
