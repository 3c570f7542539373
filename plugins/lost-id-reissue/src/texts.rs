//! What residents read, in Chinese, Uyghur and English. Messages sent to
//! the inbox are templates in `plugin.toml`; these are shown in answers.

use onewindow_sdk::Localized;

/// The numbers to call: the national anti-fraud line, then the police.
pub const HOTLINES: [&str; 2] = ["96110", "110"];

/// Shown at once when a report or a question shows signs of telecom fraud.
pub const FRAUD_WARNING: Localized<&str> = Localized {
    zh: "警惕电信网络诈骗！您描述的情况有诈骗特征。请立即停止转账、付款，不要向任何人提供验证码。\
         公安、检察院、法院不会要求您把钱转入“安全账户”，也不会收取“解冻”费或放贷“保证金”。\
         请拨打反诈专线 96110 或报警电话 110。社区警务室将尽快联系您。",
    ug: "تېلېفون-تور ئالدامچىلىقىدىن ھوشيار بولۇڭ! سىز بايان قىلغان ئەھۋالدا ئالدامچىلىق ئالامەتلىرى بار. \
         دەرھال پۇل ئۆتكۈزۈش ۋە پۇل تۆلەشنى توختىتىڭ، ھېچكىمگە دەلىللەش كودىنى بەرمەڭ. \
         ساقچى، تەپتىش ۋە سوت ئورگانلىرى سىزدىن پۇلنى «بىخەتەر ھېسابات»قا ئۆتكۈزۈشنى تەلەپ قىلمايدۇ، \
         «توڭلىتىشنى يېشىش» ھەققى ياكى قەرز ئۈچۈن «كاپالەت پۇلى» ئالمايدۇ. \
         ئالدامچىلىققا قارشى تېلېفون 96110 ياكى ساقچى تېلېفونى 110 گە تېلېفون قىلىڭ. مەھەللە ساقچى ئىشخانىسى سىز بىلەن تېزدىن ئالاقىلىشىدۇ.",
    en: "Beware of telecom fraud! What you describe has the signs of a scam. Stop transferring or paying money \
         now, and do not give anyone a verification code. The police, prosecutors and courts never ask you to \
         move money to a \"safe account\", and never charge a fee to \"unfreeze\" an account or a \"deposit\" \
         to release a loan. Call the anti-fraud line 96110, or the police on 110. The community police office \
         will contact you soon.",
};

/// Shown for an "is this a scam?" question in which no sign was found.
pub const FRAUD_ADVICE: Localized<&str> = Localized {
    zh: "未发现常见的电信诈骗特征，社区警务室民警将审看您的问题并答复。在此之前，请不要转账、付款，\
         不要向任何人提供验证码；如有疑问，请拨打反诈专线 96110 或报警电话 110。",
    ug: "كۆپ ئۇچرايدىغان تېلېفون-تور ئالدامچىلىقى ئالامەتلىرى بايقالمىدى، مەھەللە ساقچى ئىشخانىسى سوئالىڭىزنى كۆرۈپ جاۋاب بېرىدۇ. \
         ئۇنىڭدىن بۇرۇن پۇل ئۆتكۈزمەڭ، پۇل تۆلىمەڭ، ھېچكىمگە دەلىللەش كودىنى بەرمەڭ؛ گۇمانىڭىز بولسا \
         ئالدامچىلىققا قارشى تېلېفون 96110 ياكى ساقچى تېلېفونى 110 گە تېلېفون قىلىڭ.",
    en: "We found none of the usual signs of telecom fraud; a community police officer will read your question \
         and answer it. Until then, do not transfer or pay money and do not give anyone a verification code; \
         in doubt, call the anti-fraud line 96110, or the police on 110.",
};

/// How the fees are paid.
pub const PAYMENT: Localized<&str> = Localized {
    zh: "工本费按规定标准（补领 20 元，临时身份证 10 元）在派出所领证时缴纳，本服务不收取任何费用。",
    ug: "ئەسلى تەننەرخ ھەققى بەلگىلىمە بويىچە (قايتا ئېلىش 20 يۈەن، ۋاقىتلىق كىملىك 10 يۈەن) ساقچىخانىدا كىملىكنى ئالغاندا تاپشۇرۇلىدۇ؛ بۇ مۇلازىمەت ھېچقانداق پۇل ئالمايدۇ.",
    en: "The fees set by regulation (reissue ¥20, temporary card ¥10) are paid at the police station when you \
         collect the card; this service takes no payment.",
};

/// What the service is for, and its time limits.
pub const ABOUT: Localized<&str> = Localized {
    zh: "居民身份证丢失后，请先挂失，再申请补领或临时居民身份证。补领的身份证自受理起 60 日内发放；\
         临时居民身份证有效期 3 个月。请本人到派出所领取。",
    ug: "كىملىكىڭىز يوقالغاندا ئالدى بىلەن يوقاتقانلىقىنى مەلۇم قىلىڭ، ئاندىن قايتا ئېلىش ياكى ۋاقىتلىق كىملىك ئىلتىماس قىلىڭ. \
         قايتا بېرىلگەن كىملىك قوبۇل قىلىنغاندىن باشلاپ 60 كۈن ئىچىدە تارقىتىلىدۇ؛ ۋاقىتلىق كىملىكنىڭ ئىناۋەتلىك مۇددىتى 3 ئاي. \
         كىملىكنى ساقچىخانىدىن ئۆزىڭىز ئېلىڭ.",
    en: "When your resident ID card is lost, report the loss first, then apply for a reissued card or a \
         temporary one. A reissued card is issued within 60 days of acceptance; a temporary card is valid for \
         3 months. Collect it in person at the police station.",
};
