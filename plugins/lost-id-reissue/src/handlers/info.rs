//! `GET /info`: what the service does, its fees and time limits, and the
//! anti-fraud numbers, in the caller's language. Anyone may read it.

use onewindow_sdk::prelude::*;
use serde::Serialize;

use crate::application::{Kind, TEMPORARY_VALID_MONTHS};
use crate::fraud::SIGNS;
use crate::texts::{ABOUT, HOTLINES, PAYMENT};

/// The service's facts.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Info {
    pub about: &'static str,
    /// Fees set by regulation, in yuan; shown only, paid at the desk.
    pub fee_reissue_yuan: i64,
    pub fee_temporary_yuan: i64,
    pub payment: &'static str,
    /// A reissued card is issued within this many days (the reissue case's time limit).
    pub reissue_days: u32,
    /// A temporary card is valid for this many months from its issue date.
    pub temporary_valid_months: u32,
    /// The anti-fraud line and the police.
    pub hotlines: [&'static str; 2],
    /// The signs of telecom fraud the service looks for in reports and questions.
    pub fraud_signs: Vec<&'static str>,
    pub language: &'static str,
    pub dir: &'static str,
}

/// The law's limit for issuing a reissued card (remote areas may add 30 days).
pub const REISSUE_DAYS: u32 = 60;

pub fn show(req: &Request) -> Result<Response> {
    let language = req.language();
    let info = Info {
        about: ABOUT.pick(language),
        fee_reissue_yuan: Kind::Reissue.fee_yuan(),
        fee_temporary_yuan: Kind::Temporary.fee_yuan(),
        payment: PAYMENT.pick(language),
        reissue_days: REISSUE_DAYS,
        temporary_valid_months: TEMPORARY_VALID_MONTHS,
        hotlines: HOTLINES,
        fraud_signs: SIGNS.iter().map(|sign| sign.key).collect(),
        language: language.tag(),
        dir: language.direction(),
    };
    Ok(Response::json(200, &info).with_header("content-language", language.tag()))
}
