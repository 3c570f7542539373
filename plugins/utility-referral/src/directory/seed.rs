//! The directory as it starts: the nine partner units with what each
//! handles, and the unit each category is proposed to.
//!
//! A first-party plugin has no install hook, so the directory is seeded on
//! first use, inside the request's transaction (see [`super::Directory::load`]):
//! a fresh platform answers residents at once, without waiting for an admin
//! to run a seeding route, and a failed request leaves nothing half-seeded.
//! Only missing rows are inserted, so an admin's edits are never undone and
//! a later version's new category is added the same way. Two first requests
//! racing both insert; the unique indexes make the loser's inserts conflict,
//! which undoes them alone, and the loser reads the winner's rows.
//!
//! Numbers: 95598 (electricity), 10000 (telecom), 11183 (post) and 12319
//! (city services) are national lines; the local ones are defaults for an
//! admin to confirm.

use onewindow_sdk::prelude::*;
use onewindow_sdk::{DataError, Localized};

use super::{CATEGORY_UNITS, UNITS};

/// One unit's starting entry.
pub struct SeedEntry {
    pub unit_id: &'static str,
    pub name: Localized<&'static str>,
    pub description: Localized<&'static str>,
    pub categories: &'static [&'static str],
    pub details_required: &'static [&'static str],
    pub hours: Localized<&'static str>,
    pub hotline: &'static str,
}

const fn texts(zh: &'static str, ug: &'static str, en: &'static str) -> Localized<&'static str> {
    Localized { zh, ug, en }
}

const ALL_DAY: Localized<&str> = texts("24小时", "24 سائەت", "24 hours");

/// The nine partner units (names as the platform's unit list has them).
pub const ENTRIES: [SeedEntry; 9] = [
    SeedEntry {
        unit_id: "partner-electricity",
        name: texts("供电公司", "توك تەمىنلەش شىركىتى", "Electricity Supply Company"),
        description: texts(
            "供电：停电、电线断落、电表问题。",
            "توك تەمىناتى: توك توختاش، ئۈزۈلۈپ چۈشكەن سىملار، توك ھېسابلىغۇچ.",
            "Power supply: power cuts, fallen lines, electricity meters.",
        ),
        categories: &["power-line-down", "power-cut"],
        details_required: &["account_number", "started_at"],
        hours: ALL_DAY,
        hotline: "95598",
    },
    SeedEntry {
        unit_id: "partner-water",
        name: texts("自来水公司", "سۇ تەمىنلەش شىركىتى", "Water Supply Company"),
        description: texts(
            "供水：停水、供水管道漏水或爆裂、水表问题。",
            "سۇ تەمىناتى: سۇ توختاش، سۇ تۇرۇبىسى ئېقىش ياكى يېرىلىش، سۇ ھېسابلىغۇچ.",
            "Water supply: no water, leaking or burst mains, water meters.",
        ),
        categories: &["no-water", "water-leak"],
        details_required: &["account_number", "started_at"],
        hours: texts(
            "抢修24小时；营业厅 周一至周五 9:30–18:00",
            "جىددىي رېمونت 24 سائەت؛ مۇلازىمەت زالى دۈشەنبە-جۈمە 9:30–18:00",
            "Repairs 24 hours; service hall Mon–Fri 9:30–18:00",
        ),
        hotline: "0991-96655",
    },
    SeedEntry {
        unit_id: "partner-gas",
        name: texts("燃气公司", "تەبىئىي گاز شىركىتى", "Gas Company"),
        description: texts(
            "燃气：燃气泄漏抢险、停气、燃气表问题。",
            "تەبىئىي گاز: گاز ئېقىپ چىقىشنى جىددىي بىر تەرەپ قىلىش، گاز توختاش، گاز ھېسابلىغۇچ.",
            "Gas: gas leaks (emergency), supply cuts, gas meters.",
        ),
        categories: &["gas-smell", "no-gas"],
        details_required: &["account_number"],
        hours: texts(
            "抢险电话24小时；营业厅 周一至周六 9:00–18:00",
            "جىددىي قۇتقۇزۇش تېلېفونى 24 سائەت؛ مۇلازىمەت زالى دۈشەنبە-شەنبە 9:00–18:00",
            "Emergency line 24 hours; service hall Mon–Sat 9:00–18:00",
        ),
        hotline: "0991-96777",
    },
    SeedEntry {
        unit_id: "partner-heating",
        name: texts("供热公司", "ئىسسىقلىق تەمىنلەش شىركىتى", "Heating Company"),
        description: texts(
            "集中供热：暖气不热、停暖、管网漏水。",
            "مەركەزلىك ئىسسىتىش: ئىسسىتىش ئىسسىماسلىق، توختاپ قېلىش، تۇرۇبا ئېقىش.",
            "District heating: cold radiators, heating cuts, leaks in the heating network.",
        ),
        categories: &["heating"],
        details_required: &["account_number", "started_at"],
        hours: texts(
            "供暖季（10月10日至次年4月10日）24小时；其余时间 周一至周五 9:30–18:00",
            "ئىسسىتىش پەسلى (10-ئۆكتەبىردىن كېلەر يىلى 10-ئاپرېلغىچە) 24 سائەت؛ باشقا ۋاقىتلاردا دۈشەنبە-جۈمە 9:30–18:00",
            "Heating season (10 October to 10 April) 24 hours; otherwise Mon–Fri 9:30–18:00",
        ),
        hotline: "0991-96699",
    },
    SeedEntry {
        unit_id: "partner-property",
        name: texts("物业管理公司", "مۈلۈك باشقۇرۇش شىركىتى", "Property Management Company"),
        description: texts(
            "楼内维修：户内和楼道的水、电、暖设施，门窗、电梯等公共设施。",
            "بىنا ئىچىدىكى رېمونت: ئۆي ۋە كارىدوردىكى سۇ، توك، ئىسسىتىش ئەسلىھەلىرى، ئىشىك-دېرىزە، لىفت قاتارلىق ئاممىۋى ئەسلىھەلەر.",
            "Repairs inside the building: water, power and heating fittings in homes and stairwells, doors, windows, lifts and other shared fittings.",
        ),
        categories: &["property-repair", "heating", "no-water", "water-leak", "power-cut"],
        details_required: &[],
        hours: texts(
            "每天 8:00–20:00；紧急维修24小时",
            "ھەر كۈنى 8:00–20:00؛ جىددىي رېمونت 24 سائەت",
            "Daily 8:00–20:00; urgent repairs 24 hours",
        ),
        hotline: "0991-4567890",
    },
    SeedEntry {
        unit_id: "partner-telecom",
        name: texts("电信公司", "تېلېگراف-تېلېفون شىركىتى", "Telecom Company"),
        description: texts(
            "固定电话和宽带故障。",
            "مۇقىم تېلېفون ۋە كەڭ بەلۋاغلىق تور كاشىلىسى.",
            "Landline and broadband faults.",
        ),
        categories: &["phone-broadband"],
        details_required: &["account_number"],
        hours: ALL_DAY,
        hotline: "10000",
    },
    SeedEntry {
        unit_id: "partner-cable-tv",
        name: texts("广电网络公司", "رادىيو-تېلېۋىزىيە تور شىركىتى", "Cable TV Network Company"),
        description: texts(
            "有线电视信号和机顶盒故障。",
            "كابېللىق تېلېۋىزور سىگنالى ۋە سىگنال قۇتىسى كاشىلىسى.",
            "Cable TV signal and set-top box faults.",
        ),
        categories: &["cable-tv"],
        details_required: &["account_number"],
        hours: texts("每天 9:00–21:00", "ھەر كۈنى 9:00–21:00", "Daily 9:00–21:00"),
        hotline: "0991-96266",
    },
    SeedEntry {
        unit_id: "partner-postal",
        name: texts("邮政公司", "پوچتا شىركىتى", "Postal Company"),
        description: texts(
            "信件和包裹的投递、延误和丢失。",
            "خەت ۋە ئامانەتلەرنىڭ يەتكۈزۈلۈشى، كېچىكىشى ۋە يوقاپ كېتىشى.",
            "Delivery, delay and loss of letters and parcels.",
        ),
        categories: &["post"],
        details_required: &["tracking_number"],
        hours: texts("每天 8:00–20:00", "ھەر كۈنى 8:00–20:00", "Daily 8:00–20:00"),
        hotline: "11183",
    },
    SeedEntry {
        unit_id: "partner-sanitation",
        name: texts("环卫公司", "مۇھىت تازىلىقى شىركىتى", "Sanitation Company"),
        description: texts(
            "生活垃圾清运和街道保洁。",
            "تۇرمۇش ئەخلىتىنى توشۇش ۋە كوچا تازىلىقى.",
            "Household rubbish collection and street cleaning.",
        ),
        categories: &["rubbish"],
        details_required: &[],
        hours: texts("每天 8:00–20:00", "ھەر كۈنى 8:00–20:00", "Daily 8:00–20:00"),
        hotline: "12319",
    },
];

/// The unit each category is proposed to at first.
pub const DEFAULTS: [(&str, &str); 12] = [
    ("gas-smell", "partner-gas"),
    ("no-gas", "partner-gas"),
    ("power-line-down", "partner-electricity"),
    ("power-cut", "partner-electricity"),
    ("no-water", "partner-water"),
    ("water-leak", "partner-water"),
    ("heating", "partner-heating"),
    ("property-repair", "partner-property"),
    ("phone-broadband", "partner-telecom"),
    ("cable-tv", "partner-cable-tv"),
    ("post", "partner-postal"),
    ("rubbish", "partner-sanitation"),
];

/// The actor recorded for seeded rows.
pub const SEEDED_BY: &str = "system";

/// Inserts the entries and defaults not yet present; true if it inserted any.
pub fn fill_missing(units: &[String], categories: &[String], now: &str) -> Result<bool> {
    let mut inserted = false;
    for entry in ENTRIES.iter().filter(|e| !units.iter().any(|u| u == e.unit_id)) {
        let list = |items: &[&str]| serde_json::to_string(items).unwrap_or_else(|_| "[]".into());
        let insert = table(UNITS)
            .insert()
            .set("unit_id", entry.unit_id)
            .set("name_zh", entry.name.zh)
            .set("name_ug", entry.name.ug)
            .set("name_en", entry.name.en)
            .set("description_zh", entry.description.zh)
            .set("description_ug", entry.description.ug)
            .set("description_en", entry.description.en)
            .set("categories", list(entry.categories))
            .set("details_required", list(entry.details_required))
            .set("hours_zh", entry.hours.zh)
            .set("hours_ug", entry.hours.ug)
            .set("hours_en", entry.hours.en)
            .set("hotline", entry.hotline)
            .set("updated_at", now)
            .set("updated_by", SEEDED_BY);
        inserted |= inserted_or_raced(insert.execute())?;
    }
    for (category, unit) in DEFAULTS.iter().filter(|(c, _)| !categories.iter().any(|known| known == c)) {
        let insert = table(CATEGORY_UNITS)
            .insert()
            .set("category", *category)
            .set("unit_id", *unit)
            .set("updated_at", now)
            .set("updated_by", SEEDED_BY);
        inserted |= inserted_or_raced(insert.execute())?;
    }
    Ok(inserted)
}

/// A unique conflict means a concurrent first request seeded the row: fine.
fn inserted_or_raced(outcome: Result<i64, DataError>) -> Result<bool> {
    match outcome {
        Ok(_) => Ok(true),
        Err(DataError::Conflict(_)) => Ok(false),
        Err(other) => Err(other.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{self, PARTNER_UNITS};

    #[test]
    fn the_seed_covers_every_unit_and_category_consistently() {
        let units: Vec<&str> = ENTRIES.iter().map(|e| e.unit_id).collect();
        assert_eq!(units, PARTNER_UNITS);
        let categories: Vec<&str> = DEFAULTS.iter().map(|(c, _)| *c).collect();
        assert_eq!(categories, catalog::category_codes());
        for (category, unit) in DEFAULTS {
            let entry = ENTRIES.iter().find(|e| e.unit_id == unit).unwrap();
            assert!(entry.categories.contains(&category), "{unit} handles {category}, which it is proposed for");
        }
        for entry in &ENTRIES {
            assert!(entry.categories.iter().all(|c| catalog::find_category(c).is_some()), "{}", entry.unit_id);
            assert!(entry.details_required.iter().all(|d| catalog::find_detail(d).is_some()), "{}", entry.unit_id);
            assert!(super::super::edit::is_service_line(entry.hotline), "{}", entry.hotline);
        }
    }
}
