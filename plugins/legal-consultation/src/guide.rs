//! `GET /guide`: what the service offers, for anyone, signed in or not:
//! the kinds of legal question, the 12348 public legal service line, and
//! what people's mediation is.

use onewindow_sdk::prelude::*;
use serde::Serialize;

use crate::mediation_view::Route;
use crate::question::Hotline;
use crate::texts::{self, CATEGORIES, Named, ROUTES};

/// The guide.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Guide {
    /// `zh`, `ug` or `en`, from `Accept-Language`.
    pub language: String,
    /// `rtl` for Uyghur.
    pub dir: String,
    pub hotline: Hotline,
    /// The kinds of question (and of dispute).
    pub categories: Vec<Route>,
    pub mediation: MediationGuide,
}

/// People's mediation in short.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct MediationGuide {
    pub about: String,
    pub free: bool,
    pub voluntary: bool,
    /// Days within which the parties may ask the court to confirm an agreement.
    pub judicial_confirmation_days: u32,
    /// The routes open when no agreement is reached.
    pub routes: Vec<Route>,
}

pub fn guide(req: &Request) -> Result<Response> {
    let language = req.language();
    let named = |list: &[Named]| -> Vec<Route> {
        list.iter()
            .map(|(code, name)| Route { code: (*code).to_owned(), name: (*name.pick(language)).to_owned() })
            .collect()
    };
    let guide = Guide {
        language: language.tag().to_owned(),
        dir: language.direction().to_owned(),
        hotline: Hotline::new(language),
        categories: named(&CATEGORIES),
        mediation: MediationGuide {
            about: (*texts::MEDIATION_FACTS.pick(language)).to_owned(),
            free: true,
            voluntary: true,
            judicial_confirmation_days: 30,
            routes: named(&ROUTES),
        },
    };
    Ok(Response::json(200, &guide).with_header("content-language", language.tag()))
}
