//! Concept lexicons: the local guard's second rule layer.
//!
//! The phrase signals of the parent module recognise the wordings their author thought of.
//! This layer generalises: every token of the normalised text is looked up in broad *word
//! families* (stems and inflections, synonyms, slang and euphemisms), each family a
//! concept ([`C`]); the category rules then ask which concepts co-occur within a few
//! tokens ("a youth cue and a sexual cue within twelve tokens", "money asked for and a
//! hardship story", "your + a body part + a harm word"), with vetoes for the benign
//! contexts that share the words (games and food for violence, care and the past for
//! youth, work for hourly rates, sympathy for group nouns…).
//!
//! Matching is one pass over the tokens with hash lookups (the word, a light stemmer's
//! forms, prefixes, and phrases indexed by their first word): no regex, a few microseconds
//! a text. Everything is compiled once.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::LazyLock;

use ishtar_domain::textnorm::Normalised;

use super::{SLOTS, Scores};

macro_rules! concepts {
    ($($name:ident),* $(,)?) => {
        /// A concept: one word family (see the module docs).
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        #[repr(u8)]
        pub enum C { $($name),* }
        /// Every concept, in order.
        pub const ALL: &[C] = &[$(C::$name),*];
    };
}

concepts!(
    // people and grammar
    You,
    YourPoss,
    Me1,
    Third,
    PersonObj,
    Modal,
    UltStrong,
    Cond,
    HowTo,
    Past,
    Joke,
    Compliment,
    // S1
    HarmStrong,
    HarmWeak,
    Body,
    Weapon,
    Firearm,
    HarmOutcome,
    ThreatStrong,
    ThreatWeak,
    WhereYou,
    Presence,
    YourThing,
    Routine,
    PassiveHarm,
    RelTrigger,
    MassTarget,
    MassAct,
    Untraceable,
    GameFood,
    Plan,
    // S2
    DirectedAsk,
    MoneyW,
    Costly,
    Fee,
    Hardship,
    Urgency,
    Repay,
    RomanceAddr,
    Invest,
    InvestHook,
    InvestPull,
    GiftCard,
    CardAbuse,
    DrugStrong,
    DrugWeak,
    Sale,
    FakeDoc,
    Doc,
    MuleIn,
    MuleOut,
    Creds,
    CredAsk,
    // S3
    PayStrong,
    PayWeak,
    IntimStrong,
    IntimWeak,
    WorkCtx,
    ServiceCtx,
    Incap,
    ConsentOverride,
    ConsentHard,
    Entitle,
    SexPlace,
    LeverageHeld,
    Leverage,
    Audience,
    Expose,
    EarnOffer,
    GirlsGroup,
    Offer,
    Commerce,
    Traffic,
    // S4
    YouthStrong,
    YouthSelf,
    YouthPref,
    ParentEvade,
    SexCue,
    DateCue,
    Attract,
    GirlsBoys,
    CareCtx,
    SexEd,
    YouthVeto,
    MinorRomance,
    // S5
    AccuseAct,
    AccuseNoun,
    Role,
    Spread,
    NotAccuse,
    // S6
    MedStrong,
    MedMyth,
    MedWeak,
    Reject,
    AltRemedy,
    DoseUp,
    Booze,
    // S7
    OwnerRef,
    IdentData,
    ThirdPoss,
    SurveilAct,
    CommsData,
    Offer7,
    OfferSend,
    // S8
    KnockOff,
    Brand,
    Sell8,
    FreeAccess,
    PirateAct,
    Media,
    Copy,
    Plagiar,
    CreativeWork,
    // S9
    AgentStrong,
    Bomb,
    Material,
    Trigger9,
    Make9,
    Target9,
    Veto9,
    Intent9,
    Destroy9,
    // S10
    Group,
    Dehuman,
    Eliminate,
    Conspire,
    Stereotype,
    HateSym,
    Nativist,
    Sympathy,
    // S11
    DespairStrong,
    DespairWeak,
    Prep,
    Ed,
    Stockpile,
    Pills,
    Lethal,
    CutSh,
    ShCtx,
    JumpSh,
    Height,
    BenignSh,
    Insult,
    FavourDie,
    // S12
    ExplMed,
    SexReq,
    ExplVeto,
    // S13
    Vote,
    MisStrong,
    MisWeak,
    CivicVeto,
    // S14
    InstrOwn,
    InstrAny,
    Override,
    OverrideStrong,
    Exfil,
    AgentAddr,
    OwnerData,
    CodeRun,
    BenignInstr,
    // from the tokens rather than the lexicon
    Amount,
    Percent,
    Rate,
    BigNum,
    MinorAge,
);

/// Words of a concept mask.
const WORDS: usize = 3;
const _: () = assert!(ALL.len() <= WORDS * 64);

/// A set of concepts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Mask([u64; WORDS]);

impl Mask {
    const fn of(c: C) -> Self {
        let k = c as usize;
        let mut m = [0u64; WORDS];
        m[k / 64] = 1u64 << (k % 64);
        Self(m)
    }

    fn add(&mut self, o: Self) {
        for (a, b) in self.0.iter_mut().zip(o.0) {
            *a |= b;
        }
    }

    const fn has(&self, c: C) -> bool {
        let k = c as usize;
        self.0[k / 64] & (1u64 << (k % 64)) != 0
    }

    fn remove(&mut self, c: C) {
        let k = c as usize;
        self.0[k / 64] &= !(1u64 << (k % 64));
    }
}

/// The word families. Each entry is `|`-separated; an entry is one or more words; a word
/// ending in `*` matches any token starting with it; an apostrophe stands for both the
/// joined and the split form (`don't` = `dont` and `don t`). Words match a token as
/// written or any of its light stems (`kills`, `killed`, `killing` → `kill`).
const LEXICON: &[(C, &str)] = &[
    // ---------------------------------------------------------------- people, grammar
    (
        C::You,
        "you|u|ya|yourself|yourselves|you're|you'll|you'd|you've|ull|yall|ye|thee",
    ),
    (C::YourPoss, "your|ur|yer|of yours"),
    (C::Me1, "i|i'm|me|my|myself|i've|i'll|i'd|iam|mine"),
    (
        C::Third,
        "she|he|her|him|his|hers|they|them|their|she's|he's|herself|himself|themselves",
    ),
    (
        C::PersonObj,
        "someone|somebody|a person|people|anyone|anybody|everyone|everybody|whoever|my wife|my husband|my ex|my boss|my neighbour|my neighbor|my roommate|my flatmate|my coworker|my girlfriend|my boyfriend|my partner|my stepdad|my stepmom|my teacher|my landlord|a girl|a woman|a guy|a man|a kid|a child|this guy|this girl|that guy|that girl|the guy|the girl|your roommate|your friend|your boyfriend|your girlfriend|your husband|your wife",
    ),
    (
        C::Modal,
        "i'll|i will|i'm going to|i'm gonna|gonna|going to|imma|ima|i wanna|i want to|i'd|i would|i shall|let me|i swear|i am going to|about to|can't wait to|will|i plan to|planning to|plan to|intend to|i'm coming to|i'll make|i will make|i'd love to|i would love to|i want to see|can't wait to see|should|someone should|might|i might|i could|i'll make sure|i will make sure",
    ),
    (
        C::UltStrong,
        "unless|or else|one more word|say that again|try me|test me|keep ignoring|ignore me|block me|blocked me|ghost me|ghosting me|ghosted me|leave me|leaving me|cross me|crossed me|laugh at me|reject me|rejected me|dump me|cheat on me|lie to me|lied to me|mess with me|disrespect me|if you don't|if u don't|you've been warned|or you'll|or i'll|or i will|or your|keep talking|keep it up|keep pushing me|push me|go ahead and|pay me or|or it goes|or they go|or everyone sees|better answer|you better|u better|or ur",
    ),
    (C::Cond, "if|unless|or|when|otherwise"),
    (
        C::HowTo,
        "how do i|how to|how can i|how would i|how could i|best way to|easiest way to|quickest way to|fastest way to|ways to|teach me to|tips for|tips on|what's the best way",
    ),
    (
        C::Past,
        "when i was|back when|back in|years ago|used to|grew up|growing up|reunion|as a kid|as a teen|as a teenager|as a child|when we were|since i was|until i was|till i was|i was|we were|at 16 i|at 15 i|at 14 i|at 17 i|in my teens|in my youth|remember when|met my|my first girlfriend|my first boyfriend|my first kiss|now i'm|now im|was 20 years|years later",
    ),
    (
        C::Joke,
        "lol|haha|hahaha|lmao|jk|kidding|joking|just warning|rofl|hehe|xd|allegedly",
    ),
    (
        C::Compliment,
        "could kill|killer|deadly|stunning|gorgeous|beautiful|pretty|cute|hot|sexy|lovely|kiss|kisses|smile|eyes could|dimples|adorable|handsome|heart|break my heart|break your heart|steal your heart|massage|chiropractor|physio|dentist|braces|brush|floss",
    ),
    // ---------------------------------------------------------------- S1
    (
        C::HarmStrong,
        "kill|murder|stab|strangle|choke|slit|throttle|suffocate|smother|maim|cripple|tortur*|behead|decapitat*|disembowel|butcher|slaughter|lynch|shank|bludgeon|batter|pummel|hurt|harm|injure|bleed|bash|stomp|kneecap|curbstomp|curb stomp|torch|drown|poison|disfigure|mutilat*|dismember*|gouge|beat up|beat the hell|beat the shit|beat the crap|beat the life|cave in|cut up|burn down|run over|shoot|punch|smash|rape|throw acid|break every bone|snap your neck|wring your neck|knock your teeth|knock out your|gut you|end you|put you down|waste you|take you out back|put a bullet|rip|tear|rip out|rip off|smash in|unalive you|key your car|slash your tires|slash your tyres|break your windows|smash your windows",
    ),
    (
        C::HarmWeak,
        "beat|break|snap|crack|hit|slap|kick|burn|crush|destroy|wreck|cut|hang|bury|finish|deal with|teach|ruin|cave|fist|flatten|rearrange|goes up|go up|blow up|torch|through|off the|knock|beating|hands around your|around your neck|burn this|burn it down|burn the place",
    ),
    (
        C::Body,
        "face|skull|head|teeth|tooth|neck|throat|jaw|nose|leg|legs|arm|arms|knee|knees|kneecap|kneecaps|rib|ribs|bone|bones|finger|fingers|spine|eye|eyes|guts|brain|brains|windpipe|kidneys|wrist|wrists|tongue|ears|ear|tires|tyres|windows|limbs|limb",
    ),
    (
        C::Weapon,
        "gun|guns|pistol|rifle|shotgun|glock|knife|knives|blade|machete|axe|hatchet|baseball bat|bat|crowbar|hammer|brick|fist|fists|brass knuckles|knuckle duster|bullet|bullets|acid|taser|tire iron|tyre iron|petrol|gasoline|lighter fluid|9mm|ar15|ar 15|boot|boots|belt|loading the|loaded gun",
    ),
    (
        C::Firearm,
        "gun|guns|rifle|rifles|shotgun|pistol|handgun|glock|ar15|ar 15|ak|ak47|ammo|ammunition|rounds|my dad's gun|my dad's rifle|semi auto|assault rifle|piece|strapped|loaded",
    ),
    (
        C::HarmOutcome,
        "morgue|grave|coffin|body bag|wheelchair|hospital|icu|intensive care|flames|fire|on fire|ashes|rubble|pavement|gutter|six feet under|in pieces|bleeding|dead|corpse|sleeping with the fishes|bottom of the river|bottom of the lake|through a straw|never walk again|won't wake up|in a cast|black and blue|bloody|blood|obituary|funeral|tombstone|the ground|real pain|what pain is|never talk again|in a wheelchair|eat through a straw|won't recognise you|won't recognize you|unrecognisable|unrecognizable|in the news|through a tube|stop moving|stop breathing|living hell",
    ),
    (
        C::ThreatStrong,
        "make you sorry|make u sorry|make you pay|make u pay|make you regret|make you suffer|make you bleed|make you beg|teach you a lesson|teach u a lesson|you'll regret this|you'll regret it|you'll regret the day|you will regret this|you will regret it|you'll be sorry|you will be sorry|u will be sorry|watch your back|watch ur back|sleep with one eye open|your days are numbered|ur days are numbered|won't see it coming|be a shame if|shame if something happened|last warning|final warning|get what's coming|what's coming to you|coming for you|coming for u|comin for you|i know where you live|i know where u live|i know where you work|i know where you sleep|i know where you park|i know where your|find out where you live|find out where you sleep|find out where you work|hunt you down|track you down|you're dead|ur dead|you're a dead man|you're finished|count your days|pray i don't find you|you'll pay for this|you will pay for this|pay for what you did|i'll get you|i will get you|make them pay|make her pay|make him pay|you won't get away with|nobody will find you|no one will find you|nobody will hear you|no one will hear you|see what happens to your|see what happens to you|see what happens to that|don't make me come over there|you won't like what i bring|you won't like what happens|what real pain is|make sure you never|make sure you can't|you'll be next|you're next|your turn is coming|you'll get yours|you will get yours|i'll find out where|i will find out where|sleep tight|i'm watching you|i am watching you|i know what car you drive|i know your routine|i know your schedule|i know where your kids|i know where your family|remember i know where|if i can't have you nobody will|if i can't have you no one will|nobody else will have you|no one else will have you|make your life a living hell|make your life hell|living hell|until you stop moving|till you stop moving|until you stop breathing|you'll be eating through|eating through a tube|through a tube|deserve a beating|deserve to be hurt|deserve to suffer|deserve to be beaten|you deserve pain|won't get here in time|won't save you|nobody can save you|no one can save you|no one can help you|nobody can help you|after i'm done with you|when i'm done with you|won't be smiling|wipe that smile|don't sleep too|lock your doors tonight|sleep with the lights on",
    ),
    (
        C::ThreatWeak,
        "regret|be sorry|pay for this|pay for that|you're done|watch it|watch yourself|watch out|you'll see|you will see|just wait|wait and see|i warned you|mark my words|bad things|something bad|accidents happen|teach you|lesson|see what happens|you won't like|friends who owe me|my boys|my cousins|i have friends|know your street|know where you|be careful|careful out there|i'm watching|we'll see|don't test me|real pain|they'll all see|they will all see|they'll all pay|they'll be sorry|they will be sorry|they'll regret|everyone will see|they'll see|deserve a beating|deserve to be hurt|deserve to suffer|deserve pain|you deserve it|i'm the one who's gonna|one of these nights|one of these days|you'll hear a knock|hear a knock|remember that|just for you sweetheart|i dream about|dream about hurting|start with your|starting with your|i'll start with|i start with|handle you|deal with you|sort you out|pay you a visit|pay a visit|visit you|think about that|think about it|just saying|consider yourself warned|teach you respect|lock your doors|lock your door|play me",
    ),
    (
        C::WhereYou,
        "where you live|where u live|where you sleep|where you work|where you park|where you hang|where you stay|where your kids|where your family|your address|ur address|outside your|outside ur|at your door|on your doorstep|at your window|your front door|your building|your street|your flat|your house|your place|your apartment|your office|your work|your gym|your car|your window|your school|your kids school|your daughter's school|your son's school|know what your car looks like|what your car looks like|know your car|know which car|know where you park|know your building|know your routine",
    ),
    (
        C::Presence,
        "right now|outside|waiting|i'm watching|i can see you|come down|come outside|parked|sitting in my car|in my car outside|i'm here|i followed you|followed you|saw you at|saw you with|i see you|watching you|behind you|across the street",
    ),
    (
        C::YourThing,
        "your house|your home|your place|your flat|your apartment|your building|your office|your work|your job|your car|your door|your street|your family|your kids|your mom|your mum|your dad|your parents|your roommate|your sister|your brother|your dog|your cat|your wife|your husband|your girlfriend|your boyfriend|your friends|your life|ur house|ur car|ur family|ur mom|ur place|your business|your shop|your stuff|your bike|your daughter|your son|ur sister|ur kids|your pet|your kid|all of you|everyone inside|this place",
    ),
    (
        C::Routine,
        "walks home|walk home|alone on|every tuesday|every monday|every wednesday|every thursday|every friday|on tuesdays|on mondays|on wednesdays|on thursdays|on fridays|on weekends alone|after work|leaves work|leave work|picks up|drops off|goes jogging|go jogging|your routine|your schedule|what time you|what time your|which bus|which train|gets off the bus|alone at night|home alone|by herself|by himself|by yourself",
    ),
    (
        C::PassiveHarm,
        "get hurt|gets hurt|got hurt|turn up dead|turns up dead|go missing|goes missing|get killed|gets killed|have an accident|has an accident|accidents happen|won't wake up|get what they deserve|pay the price|get burned|get their legs broken",
    ),
    (
        C::RelTrigger,
        "leave me|leaves me|left me|cross me|crosses me|lie to me|lies to me|cheat on me|cheats on me|mess with me|messes with me|messing with me|ignore me|ignores me|ignoring me|block me|blocks me|ghost me|ghosts me|talks to you|talk to you|looks at you|look at you|touches you|touch you|betray me|betrays me|dump me|dumps me|reject me|rejects me|disrespect me|laugh at me|laughs at me|say no to me|keep ignoring|keeps ignoring|stand in my way|stands in my way|get in my way|gets in my way|play me|played me|plays me|mess me around|messing me around",
    ),
    (
        C::MassTarget,
        "school|office|workplace|my work|mall|church|mosque|synagogue|temple|rally|concert|stadium|crowd|crowds|festival|subway|station|campus|classroom|my class|clinic|pride march|protest|march|market|everyone there|the building|my old office|my old school|my job|city hall|the courthouse|the plant|the factory|the warehouse|work|the office|class|the school|the mall|the church|everyone at|they'll all|they will all|all of them|the whole office|the whole class|the whole school",
    ),
    (
        C::MassAct,
        "shoot up|shooting up|shoot everyone|kill everyone|kill them all|mass shooting|massacre|open fire|go postal|shoot the place|kill as many|body count|bomb|shoot people|kill people",
    ),
    (
        C::Untraceable,
        "without leaving marks|without leaving a mark|without leaving bruises|without leaving evidence|without leaving a trace|hide a body|hide the body|dispose of a body|get rid of a body|get rid of the body|untraceable poison|undetectable poison|make it look like an accident|look like an accident|look like a suicide|no bruises",
    ),
    (
        C::GameFood,
        "mario kart|chess|scrabble|monopoly|poker|darts|pool|cards|tennis|trivia|quiz|karaoke|board game|race|arm wrestling|boxing|sparring|gym|workout|self defence|self defense|video game|game|fifa|golf|bowling|uno|wordle|sudoku|pickleball|taco|pizza|burger|dumpling|plate|coffee|cake|croissant|cheese|fries|snack|pasta|curry|sandwich|chocolate|wine|beer|brunch|dessert|tiramisu|kill it|killing it|killed it|to die for|dressed to kill|break a leg|crack you up|cracking up|slay|photo|wedding|portrait|film|hoops|the breeze|a message|a text|me a text|an email|a line|a dm|an invite|a note|a look|a smile|a pic|a photo|your shot|a video|it at work|with laughter|laughing|comedian|comedy|the competition|lines|the ball|deadline|traffic|rush hour|sunburn|playlist|heat|spicy|joke|puns|at work|heels|shoes|the dance floor|dancing|arm wrestle|thumb war|pillow fight|tickle|bake off|cook off|hunting|hunter|shooting range|the range|clay|target practice|paintball|airsoft|laser tag|nerf|venison|deer|duck season",
    ),
    (
        C::Plan,
        "planning|plan|going to|gonna|tomorrow|monday|tuesday|wednesday|thursday|friday|saturday|sunday|tonight|this weekend|next week|soon|i will|i'll|ready",
    ),
    // ---------------------------------------------------------------- S2
    (
        C::DirectedAsk,
        "can you send|could you send|would you send|can you wire|could you wire|can you lend|could you lend|would you lend|can you cover|could you cover|would you cover|can you help|could you help|would you help|can you pay|could you pay|can you buy|could you buy|can you transfer|could you transfer|can you spot|could you spot|i need you to|help me with|help me out|need help with|can i borrow|could i borrow|would you be able to send|please send|please help|please wire|please lend|=send me|=wire me|=lend me|=loan me|=transfer me|=spot me|=venmo me|=zelle me|=paypal me|=cashapp me|=front me|can you assist|could you assist|would you assist|assist me|could you top up|can you top up|top up my|top me up|help me pay|help me cover|could you spare|can you spare|spare some|=send it to me|=send the money",
    ),
    (
        C::MoneyW,
        "money|cash|funds|dollars|bucks|euros|a grand|payment|loan|venmo|zelle|paypal|cashapp|cash app|western union|moneygram|wire transfer|bank transfer|usdt|btc|bitcoin|gift card|gift cards",
    ),
    (
        C::Costly,
        "ticket|tickets|fee|fees|bill|bills|rent|flight|deposit|surgery|tuition|repairs|fine|bail|visa|the difference|shipping|card|phone bill|phone plan|top up|credit|clearance|the clearance|release",
    ),
    (
        C::Fee,
        "release fee|customs fee|processing fee|clearance fee|transfer fee|visa fee|shipping fee|delivery fee|admin fee|handling fee|tax to release|clearance|unlock fee|activation fee|withdrawal fee|to release it|release it|to release my|release my funds|releasing my funds|pay the clearance|the clearance",
    ),
    (
        C::Hardship,
        "stuck|stranded|customs|visa|cancelled|canceled|cards don't work|card doesn't work|card declined|cards declined|card is blocked|cards are blocked|frozen|blocked|locked|wages are held|wages held|salary held|salary is held|held at|bank is closed|bank closed|lost my wallet|wallet stolen|wallet was stolen|robbed|mugged|surgery|hospital|medical bills|sick|cancer|chemo|deployed|deployment|oil rig|ship|vessel|offshore|abroad|overseas|inheritance|evicted|eviction|rent is due|rent due|bail|lawyer fees|can't access my account|my phone was stolen|emergency|urgent|my mother needs|my mom needs|my son needs|my daughter needs|my father needs|my dad needs|flight home|plane ticket|ticket home|broke down|accident|funeral|release fee|customs fee|on mission|un mission|peacekeeping|salary is locked|my salary|flagged|account is flagged|cut off|can't reach my|holding my package|my package|package|gold|diamonds|customs people|border|on a mission|soldier|army|navy|contractor abroad|engineer abroad",
    ),
    (
        C::Urgency,
        "tonight|today|asap|urgent|urgently|right now|immediately|quickly|before friday|by tomorrow|by tonight|within the hour|no time|don't know who else|no one else to turn to|you're my only hope|my only hope|nobody else to ask|no one else to ask",
    ),
    (
        C::Repay,
        "repay|pay you back|pay u back|pay it back|i'll return it|return it|till payday|until payday|till my paycheck|until my paycheck|paycheck clears|when my paycheck|i swear|i promise|monday|next week|with interest",
    ),
    (
        C::RomanceAddr,
        "my love|baby|babe|darling|dear|sweetheart|honey|my queen|my king|only one i trust|only one i can trust|you're the only one|soulmate|my angel|i love you",
    ),
    (
        C::Invest,
        "invest|investing|investment|investments|trading|trader|futures|forex|crypto|cryptocurrency|bitcoin|btc|eth|ethereum|usdt|usdc|wallet app|crypto wallet|trading platform|investment platform|trading app|trading mentor|forex mentor|crypto mentor|passive income|financial freedom|broker|nft|nfts|binary options|arbitrage|liquidity pool|memecoin|altcoin|defi|staking|gold futures|stocks|mining pool|signals group|trading signals|trades|my mentor|mentor's trades|private group|vip group|pyramid|mlm|network marketing|downline|recruit|recruits|copy trading|copying trades",
    ),
    (
        C::InvestHook,
        "returns|return on|profit|profits|double your|doubled my|double it|triple your|10x|guaranteed|guarantee|minimum|to start|withdraw|withdrawal|risk free|no risk|zero risk|by month end|every week|daily profit|weekly profit|payout|payouts|roi|gains|the trick|insider|can't lose|sure thing|to the moon|easy money|get rich|my uncle|my aunt|the app shows|per month|a month|every month|be rich|you'll be rich|rich quick|12k|10k|5k|last month|small fee|for a fee",
    ),
    (
        C::InvestPull,
        "add you|i can add|show you|i'll show|teach you|join|start with|you'll see|let me help you|help you start|get you in|download|sign up|register|open an account|put in|deposit|connect your|link your|you can make|you could make|try it|get you into|bring in|bring in three|sign up under me|under me",
    ),
    (
        C::GiftCard,
        "gift card|giftcard|itunes card|steam card|apple card|apple gift|google play|amazon card|prepaid card|vouchers|voucher codes|razer gold|ebay card",
    ),
    (
        C::CardAbuse,
        "scratch|scratch off|codes|the code|the back|photo of|picture of|pic of|for me|send me|text me|read me|numbers on",
    ),
    (
        C::DrugStrong,
        "xanax|xans|xan|adderall|oxy|oxys|oxycodone|oxycontin|percs|percocet|fentanyl|fent|meth|crystal meth|heroin|smack|cocaine|mdma|molly|ecstasy|ketamine|ket|lsd|shrooms|dmt|ghb|benzos|valium|codeine|tramadol|vicodin|pressies|roxies|dilaudid|opioids|amphetamine|amphetamines|ritalin|vyvanse|klonopin|ativan|magic mushrooms|perc|xannies|zannies|blues|addy|addys|dabs|wax|carts|mollies|yayo|nose candy",
    ),
    (
        C::DrugWeak,
        "coke|pills|weed|bud|acid|tabs|snow|blow|grass|pot|edibles|carts|crack|dope|gear|party favours|party favors|party supplies|bars|kush|hash|lean|powder|speed",
    ),
    (
        C::Sale,
        "sell|selling|deliver|delivery|supply|supplier|plug|menu|prices|price list|dm for|dm me|message me for|message me|hit me up|in stock|re up|reup|got some|got good|good quality|top quality|pure|discreet|shipping|cash on delivery|grams|gram|oz|ounce|per gram|an 8th|eighth|cheap|for sale|hook you up|stocked|wholesale|bulk|tap in|tapped in|if u need|if you need|lmk|hmu|pull up|plugged|got that|i got|got them|got em|on deck|in town|holding",
    ),
    (
        C::FakeDoc,
        "fake|fakes|forged|forge|forgery|counterfeit|novelty|scannable|passes any scanner|passes any scan|passes any|pass any|looks real|undetectable|real looking|i make them|i can make|nobody can tell|no one can tell|can't tell the difference|indistinguishable|i do them|i print them",
    ),
    (
        C::Doc,
        "id|ids|licence|license|driving licence|driving license|drivers license|driver's license|passport|passports|diploma|diplomas|degree|degrees|papers|documents|bank statement|bank statements|doctor's note|sick note|green card|social security card|birth certificate|residence permit|work permit|vaccine card|payslips|pay stubs",
    ),
    (
        C::MuleIn,
        "receive money|receive payments|receive a payment|receive transfers|receive funds|accept money|accept payments|accept transfers|money in your account|into your account|use your account|through your account|in their account|into their account|mail you a cheque|mail you a check|send you a check|send you a cheque|deposit the check|deposit the cheque|cash this check|cash a check|cash the check|deposit it|receive a transfer|take a transfer|receive a payment for me|in your account|holding it in your account|hold it in your account|keep it in your account|your bank account|pick up a parcel|pick up a package|receive a parcel|receive packages|collect a parcel|collect a package|receive parcels",
    ),
    (
        C::MuleOut,
        "pass it along|pass it on|forward it|send it on|move it|move the money|transfer it|keep 10|keep 20|keep a cut|your cut|commission|you keep|keep the rest|keep some|send the extra back|send back the extra|send the difference|send back the difference|the rest back|refund the difference|withdraw it in cash|withdraw it|take it out in cash|send it back|the extra back|give it back in cash|move money|move money out|out of my country|you'll get 20|you get 20|a percentage|for holding it|post it to|ship it to|forward the parcel|reship|i'll pay you|pay you 200|pay you to",
    ),
    (
        C::Creds,
        "online banking|bank login|banking login|bank password|password|passwords|passcode|pin number|one time code|verification code|security code|2fa|otp|seed phrase|recovery phrase|private key|ssn|social security number|card number|cvv|login details|log in details|login|sort code|routing number|account number|six digit code|6 digit code|4 digit code|the code|code we sent|code they sent|the code the bank|code from the bank|code you get|code you got",
    ),
    (
        C::CredAsk,
        "give me|send me|tell me|share|what's|what is|i need|need your|read me|text me|dm me|can i have|let me have|send over|pass me|read it to me|read it back|send it to me|tell me the code|give me the code|forward me the code",
    ),
    // ---------------------------------------------------------------- S3
    (
        C::PayStrong,
        "allowance|benefactor|mutually beneficial|an arrangement|the arrangement|seeking arrangement|arrangement wanted|tribute first|tributes first|tribute required|send tribute|cover my bills|cover my rent|pay my bills|pay my rent|pay my tuition|pays my bills|pays my rent|help with my bills|help with my rent|compensation|hourly rate|my rates|rates on|pay to play|for a fee|cash at the door|generous men|generous gentlemen|generous gentleman|generous man|generous guys|generous daddy|generous benefactor|generous sponsor|monthly support|financially support|sugar daddy|sugar baby|sugar mommy|sugar arrangement|sugar relationship|sugar dating|ppm|pay per meet|paid dates|paid company|pay for company|pay for my time|paying for my time|free dates|no free dates|car dates|car date|no freebies|provider|my menu|take care of my rent|take care of my bills|takes care of my rent|takes care of my bills|pay my phone bill|generous older man|generous older men|generous older gentleman|older generous|who'll take care of my|for a price|name your price|at a price|men pay well|pay well for|pay well",
    ),
    (
        C::PayWeak,
        "donation|donations|roses|gifts|pay|paid|pays|money|cash|price|fee|spoil|spoil me|support|generous|bills|rent|tuition|tribute|for money|for cash|envelope",
    ),
    (
        C::IntimStrong,
        "i'm yours|yours every|all yours|yours for|girlfriend experience|gfe|pse|companionship|spend the night|the whole night|incall|outcall|hotel visits|private meets|no strings|nsa|full service|happy ending|the right girl|the right guy|the right lady|young and willing|sleep with|sex|hook up|hookup|intimacy|whatever comes after|and whatever else|i'll take care of him|i'll take care of you|something special every night|something special|be your girlfriend|your girlfriend for|come to the hotel|to the hotel|hotel room|don't ask questions|no questions asked",
    ),
    (
        C::IntimWeak,
        "meet|meets|visits|dates|date|fun|company|cuddles|massage|evening|weekend|relationship|be yours|time together|no questions|no rush|every friday|on weekends|willing|discreet|discretion|overnight",
    ),
    (
        C::WorkCtx,
        "translate|translation|translator|tutor|tutoring|consult|consulting|consultant|freelance|freelancer|gig|job|work|shift|shifts|patent|lesson|lessons|class|classes|therapist|strictly professional|contractor|plumber|electrician|wage|wages|salary|overtime|lawyer|billable|clients|client|invoice|nurse|babysit|babysitting|dog walking|photographer|coaching|teaching|teach|charge my phone|office|hotel room|airbnb|flight|flights|per person",
    ),
    (
        C::ServiceCtx,
        "for elderly|the elderly|elderly people|elderly|patients|hospital|police escort|security escort|medical escort|funeral|volunteer|volunteer work|appointments|disabled|school trips|escort duty|bridesmaid|wedding",
    ),
    (
        C::Incap,
        "drunk|drunker|wasted|a few more shots|more shots|more drinks|another drink|keep drinking|keep her drinking|drink up|spike|spiked|slip something|slip her something|slip him something|roofie|roofies|roofied|ghb|pass out|passed out|passes out|asleep|unconscious|out of it|blackout|blacked out|can barely stand|too drunk|sedate|sedated|a few drinks|few drinks|after a few|once she's had a few|had a few|too out of it|a bottle of|bottle of wine|few glasses|couple of drinks|couple drinks|some drinks|after a bottle|powder in her|in her glass|in her drink|in your drink|something in her",
    ),
    (
        C::ConsentOverride,
        "stop saying no|won't remember|won't even remember|won't fight|can't fight back|won't resist|can't resist|won't know|won't say no|can't say no|stops saying no|stop fighting|stops fighting|before she says no|before he says no|before she can say no|doesn't count|not rape|can't consent|easier to|won't stop me|can't stop me|won't notice|doesn't notice|won't mind|be easier|easier after|easier when|loosen up|loosens her up|lower her guard|lowers her guard|after a few drinks|once she's had a few|to remember|remember anything|stops resisting|works every time|bring her to my room|take her to my room|helped myself|had my way|took advantage|did what i wanted|friendlier|much friendlier|more relaxed|more fun|more agreeable",
    ),
    (
        C::ConsentHard,
        "don't get to say no|doesn't get to say no|not taking no|won't take no|don't take no for an answer|doesn't take no for an answer|no isn't an option|no is not an option|no isn't an answer|no is not an answer|not an answer i accept|whether you like it or not|whether you want it or not|whether she likes it or not|whether she wants it or not|no means yes|you don't get a choice|stop saying no|quit saying no|you said yes before|you said yes last|you already said yes|not leaving until|you're not leaving|won't let you leave|won't let her leave|can't leave until|lock the door|locked the door|take your phone|took her phone|take her phone|hold her down|hold you down|hold him down|pin her down|pin you down|if she struggles|if you struggle|if he struggles|she'll thank|you'll thank me later|she'll thank us|no matter what she says|no matter what you say|even if she cries|even if you cry|she'll learn to like it|you'll learn to like it|said no but|meant yes|didn't really count|doesn't really count|no means i should|no means try|no just means|no means keep|no means convince|until you give in|until you say yes|keep asking until|won't stop until you|till you give in|till you say yes",
    ),
    (
        C::Entitle,
        "owe me|you owe|u owe|i paid for|i bought you|after everything i|after all i|least you can do|paid for dinner|bought you dinner|bought you drinks|paid for your",
    ),
    (
        C::SexPlace,
        "bedroom|sleep with|put out|your body|naked|on your knees|undress|give it up|hook up|go down on|sex|fuck|in my bed|into bed|to bed with|make out|your clothes",
    ),
    (
        C::LeverageHeld,
        "the ones i have|ones i have|ones i already have|the ones i already have|i have your|i've got your|i got your|i kept your|i kept the|i saved your|i saved the|i still have|i screenshotted|screenshots|your nudes|your pics|your photos|your video|your videos|your pictures|what you sent|the pics you sent|the video of you|your secret|recordings|i recorded|recorded our|recorded you|i have screenshots|i took screenshots|i screen recorded|you already sent|you sent me|you've already sent|already sent one",
    ),
    (
        C::Leverage,
        "photos|pics|pictures|nudes|video|videos|tape|images|chats|messages|screenshots|recording|ones|nude|chat|this chat|our chat|pic|photo",
    ),
    (
        C::Audience,
        "your family|your parents|your mom|your mum|your dad|your boss|your employer|your wife|your husband|your girlfriend|your boyfriend|your friends|your coworkers|your colleagues|your kids|your church|your school|your work|everyone you know|the whole internet|the internet|online|everywhere|your followers|your contacts|family sees|boss sees|wife sees|husband sees|the world|every site|every website|porn sites|pornhub|youtube|your instagram|your timeline|your whole family|family member of yours|every family member|everyone you love",
    ),
    (
        C::Expose,
        "tell your boss|tell your wife|tell your husband|tell your family|tell your parents|tell your girlfriend|tell your boyfriend|show your boss|show your wife|send it to your|forward this to your|forward this chat|forward it to your|i'll tell everyone|i'll expose|expose you|out you to|tell everyone about",
    ),
    (
        C::EarnOffer,
        "want to earn|earn 500|earn money|make easy money|quick cash|easy cash|make money tonight|earn tonight|make 500|make 1000|get paid tonight|make real money|real money|serious money|make money fast",
    ),
    (
        C::GirlsGroup,
        "girls|ladies|women|boys|chicks|babes|escorts|models|hostesses|new girls|fresh girls|girlfriends|her girls|his girls",
    ),
    (
        C::Offer,
        "available|for sale|on offer|to choose from|willing|obedient|young and willing|on the menu|for rent|for hire|at your service|interested|any takers|who wants her|who wants them|up for grabs|share her|share them|for a price|set it up|i can set it up",
    ),
    (
        C::Commerce,
        "cash|price|prices|rates|per hour|an hour|hourly|upfront|up front|donation|roses|cash at the door|at the door|per night|for a price|pay well",
    ),
    (
        C::Traffic,
        "new in the country|just arrived in the country|doesn't speak english|she'll do anything for|he'll do anything for|anything for a place to stay|for a place to stay|for a roof|her passport|their passports|working off her debt|owes me money so|pay off her debt|i keep her passport|girls from abroad|fresh off the plane",
    ),
    // ---------------------------------------------------------------- S4
    // (`U14` reaches the lexicon leet-folded as `uia`, `U16` as `uig`: hence those forms.)
    (
        C::YouthStrong,
        "underage|under age|underaged|preteen|pre teen|preteens|tween|tweens|jailbait|jail bait|loli|lolis|shota|barely legal|not 18|not eighteen|under 18|under eighteen|below 18|below eighteen|almost 18|nearly 18|middle schooler|middle schoolers|high schooler|high schoolers|grade schooler|schoolgirl|schoolgirls|schoolboy|schoolboys|school girl|school girls|school boy|school boys|primary school|elementary school|middle school|junior high|gcse|gcses|year 7|year 8|year 9|year 10|year 11|6th grade|7th grade|8th grade|9th grade|10th grade|11th grade|5th grade|6th grader|7th grader|8th grader|9th grader|grade 6|grade 7|grade 8|grade 9|grade 10|homeroom|little girl|little girls|little boy|little boys|young teen|young teens|teen girl|teen girls|teen boy|teen boys|prepubescent|puberty|mature for her age|mature for my age|mature for your age|mature for his age|kindergarten|minors|in high school|high school girl|high school girls|high school boy|high school boys|fifth grade|sixth grade|seventh grade|eighth grade|ninth grade|tenth grade|sixth grader|seventh grader|eighth grader|ninth grader|lolita|sweet 16|sweet sixteen|learner's permit|learners permit|not old enough yet|not old enough to drink|not old enough to buy|too young to drink|too young to buy|just started high school|started high school|freshman year of high school|sophomore in high school|junior in high school|secondary school|jr high|year 9s|year 10s|u12|u13|u14|u15|u16|under 14s|under 13s|under 12s|under 15s|under 16s|your little sister|your little brother|your younger sister|your kid sister|your baby sister|u 12|u 13|u 14|u 15|u 16|u 11|u 10|=uia|=uie|=uis|=uig|=ui2|=uio|=uii",
    ),
    (
        C::YouthSelf,
        "teen|teenager|sophomore|freshman|still in school|curfew|braces|after school|after class|live with my parents|locker|grounded|bedtime|school tomorrow|detention|recess|school bus|permission slip|math test|test tomorrow|exam tomorrow|my mom drives me|mom drives me|my dad drives me|can't drive yet|not old enough to drive|pick me up from school|after practice|my curfew|my homework|in homeroom|my locker|study hall|gym class",
    ),
    (
        C::YouthPref,
        "braces|still live with|still lives with|live with their parents|live with her parents|curfew|in school|still in school|homework|teen|teens|teenage|teenager|teenagers|younger the better|young young|young ones|tiny ones|small ones|barely|innocent ones|jailbait|who still wear|who still|still wear|still play with|with pigtails|pigtails|in uniform|in their uniforms|school uniform|schoolgirl uniform|school skirt|uniform on|haven't developed|not developed|undeveloped|flat chested|haven't hit puberty|before puberty|in braces",
    ),
    (
        C::ParentEvade,
        "my mom thinks i'm at|my mum thinks i'm at|my dad thinks i'm at|my parents think i'm at|my mom thinks im|my parents don't know|my mom doesn't know|my dad doesn't know|parents are away|parents are asleep|parents went to bed|before my parents get|before my mom gets|my mom would kill me|my parents would kill me|grounded|curfew|sneak out|sneaking out|snuck out|past my bedtime|my mom checks my phone|my parents check my phone|delete our chats|after homeroom|school tomorrow|in class rn|on the school bus|my teacher",
    ),
    (
        C::SexCue,
        "sex|sexy|sexual|sext|sexting|nude|nudes|naked|horny|hook up|hookup|fuck|hot|hottest|developed|so developed|flirty|flirt|flirting|turns me on|turn me on|turned on|can't help myself|curves|tits|boobs|ass|tight|my type|attracted|fantasy|fantasies|kinky|lingerie|bikini|undress|seduce|in bed|sleep with|make out|pics of|trade pics|body|bodies|sexualize|sexy pics|perky|legs|tight little|little bodies|little body|tight body|virgin|teach me things|first time|young body|so young and|underwear|panties|bra|in her underwear|it's hot|driving me crazy|peak",
    ),
    (
        C::DateCue,
        "date|dating|boyfriend|girlfriend|bf|gf|older guy|older guys|older man|older men|older boyfriend|older girlfriend|older woman|hook up|hookup|meet|meet up|meetup|sneak out with|chat somewhere|somewhere private|private|dm|single|relationship|crush|be my|go out|come over|my place|your place|hang out|wanna chat|want to chat|chat with|a guy|lover|romance|romantic|together|kiss|secret|pick me up|rather talk to you|talk to you|meet you|see you|wait for her|wait for him|wait until she's|wait until he's|when she turns 18|when he turns 18|till she's legal|until she's legal|once she's legal|once she's 18|when she's legal|profile|how old is she|how old is he|has a crush|letting it happen|let it happen|be alone|alone with me|alone with you|get you alone|home alone|alone together",
    ),
    (
        C::Attract,
        "like|love|prefer|into|want|fancy|only date|looking for|seeking|attracted to|crave|my type|go for|turned on by|obsessed with|dream of|fantasize|fantasise|thinking about|date|have a thing for|got a thing for|weakness for|soft spot for",
    ),
    (
        C::GirlsBoys,
        "girls|boys|gals|chicks|lasses|lads|young ones|babes|teens|teenagers",
    ),
    (
        C::CareCtx,
        "teach|teacher|teaching|taught|coach|coaching|tutor|tutoring|nurse|nursing|pediatric|pediatrician|paediatrician|mentor|mentoring|volunteer|volunteering|librarian|counselor|counsellor|principal|youth pastor|pastor|parents of|mom of|mum of|dad of|mother of|father of|my daughter|my son|my kids|my children|my niece|my nephew|my students|my class|raising|my stepdaughter|my stepson|my grandkids|camp counselor|child care|childcare|daycare|scout leader|social worker|therapist|my kid|our kids|adopted|foster|custody|co parent|coparent|babysit|babysitting|babysitter|aunt|uncle|godmother|godfather|my step daughter|my step son|single dad|single mum|single mom|single parent|dad to|mum to|mom to|father to|mother to|parent to|my little one|old son|old daughter|old boy|year old son|year old daughter|my boy",
    ),
    (
        C::SexEd,
        "sex ed|sex education|sexual health|sexual education|consent education|health class|biology",
    ),
    (
        C::YouthVeto,
        "young at heart|young in spirit|young professional|young professionals|forever young|young adult|youngest of|young couple|young man|young woman|young people|look young|looks young|younger than i look",
    ),
    (
        C::MinorRomance,
        "has a crush on me|crush on me|letting it happen|let it happen|flirts with me|flirting with me|she's into me|he's into me|wants me|kissed me|asked me out|sends me selfies|texts me at night|our secret",
    ),
    // ---------------------------------------------------------------- S5
    (
        C::AccuseAct,
        "rapes|abuses|gropes|drugs his|drugs her|drugs their|steals from|stole from|stealing from|embezzl*|falsif*|forged|faked|defraud*|scams|swindl*|cheats clients|cheats customers|cheats patients|cheats his|cheats her|bribe*|launder*|trafficks|poisons|assaults|beats his|beats her|blackmails|extorts|for sex|sleeps with students|sleeps with patients|sleeps with clients|sleeps with his students|sleeps with her students|trades grades|sells drugs|deals drugs|rips off|ripped off|preys on|grooms|groomed|hits his wife|hits her kids|killed his|murdered his|fiddles the books|cooks the books|takes bribes|on the take|lies to every|scamming|defrauding|overbills|falsely|has hiv|has aids|has herpes|has an std|has stds|sleeps around|without telling|roofies|spikes drinks|spiked drinks|beats his new wife|steals|embezzles|pockets|takes money from|cheats on his taxes|faked her|faked his|lied about her|sells fake|abuses kids|touches kids|hits kids|hurts kids|harasses|harassed|harassing|is secretly a|secretly a|is secretly|molests|molesting|molested his|molested her|molested their|molested kids|molested children|molested students|molested patients|raped his|raped her|raped a|abused his|abused her|abused their|abused kids|abused children|assaulted his|assaulted her|assaulted a|poisoned his|poisoned her|drugged his|drugged her|drugged girls|drugged women|stalks her|stalks his|stalks women|selling fake|selling drugs|selling prescriptions|writes fake|fake prescriptions",
    ),
    (
        C::AccuseNoun,
        "paedo|pedo|paedophile|pedophile|predator|rapist|molester|abuser|fraud|fraudster|scammer|thief|crook|criminal|groomer|murderer|junkie|drug dealer|pimp|con artist|con man|sex offender|nonce|wife beater|child abuser|embezzler|swindler|stalker|prostitute|whore|hooker",
    ),
    (
        C::Role,
        "the dentist|the doctor|dr|the mayor|mayor|the teacher|the coach|the pastor|pastor|the priest|the principal|the landlord|my landlord|the owner|owner of|the manager|the ceo|ceo|the senator|senator|the councillor|councillor|councilman|the cop|officer|the officer|the nurse|the therapist|the trainer|the instructor|yoga teacher|the barber|the mechanic|the vet|the lawyer|mr|mrs|ms|prof|professor|judge|reverend|rev|my ex|my boss|my neighbour|my neighbor|the guy who|the woman who|the man who|the chef|the pharmacist|the plumber|the contractor|the baker|the bartender|the dj|the photographer|the pt|the gym owner",
    ),
    (
        C::Spread,
        "boycott|pass it around|pass it on|pass this on|tell everyone|tell everybody|share this|share before|share it|share widely|spread it|spread the word|spread this|warn others|warn everyone|warn people|expose him|expose her|expose them|everyone should know|everybody should know|people should know|look into it|seen proof|i have proof|i've seen proof|it's true|it's a fact|before it gets deleted|they don't want you to know|google him|google her|report him|report her|heads up|psa|don't go to|avoid him|avoid her|stay away from|retweet|repost|reblog|screenshot this|everyone knows|i heard|word is|rumour is|rumor is|call the cops|call the police|don't trust him|don't trust her|do not trust|tell your friends|let everyone know|everybody needs to know|people need to know",
    ),
    (
        C::NotAccuse,
        "investigator|investigation|investigates|detective|prevention|squad|unit|department|analyst|examiner|team|attorney|podcast|podcasts|documentary|documentaries|novel|book|books|biography|movie|movies|film|show|series|drama|dramas|true crime|fiction|character|plays a|played a|role of|courtroom|case study|lecture|course|on tv|netflix|insurance fraud|fraud investigator|fraud team|fraud prevention|compliance|work in|i investigate|against fraud|fight fraud|stop fraud",
    ),
    // ---------------------------------------------------------------- S6
    (
        C::MedStrong,
        "antibiotic|antibiotics|insulin|meds|medication|medications|medicine|prescription|prescriptions|chemo|chemotherapy|vaccine|vaccines|vaccination|vaccinations|epipen|inhaler|dialysis|antidepressant|antidepressants|lithium|statins|blood thinners|sleeping pills|the er|a and e|emergency room|ambulance|midwife|surgery|your doctor|a doctor|the doctor|doctors|hospital|radiation|biopsy|antipsychotics|birth control|hiv meds|jabbed|jab|jabs|blood pressure pills|blood pressure medication|heart pills|seizure medication|insulin shots|vaccinate|vaccinated|the shots|flu shot|mmr",
    ),
    (
        C::MedMyth,
        "autism|gave my cousin autism|cause autism|causes autism|caused autism|microchip|microchips|vaccine injury|vaccine injured|big pharma|poison|toxins|they don't want you to know|the truth about|shedding|turbo cancer|sterilize|magnetic|is a fungus|baking soda|doctors won't tell|they won't tell you|won't tell you|cure they hide",
    ),
    (
        C::MedWeak,
        "pills|pill|dose|dosage|tablets|treatment|clinic|gp|chest pain|stroke|heart attack|fever|infection|lump|diabetic|diabetes|cancer|seizures|asthma|allergy|allergic|pregnant|labor|labour|giving birth|birth",
    ),
    (
        C::Reject,
        "skip|stop|quit|ditch|don't need|no need for|don't go to|never go to|avoid|forget|throw away|throw out|flush|instead of|better than|rather than|is poison|are poison|don't trust|don't bother with|without a|come off|get off|give up|stop taking|don't take|never take|who needs|overrated|big pharma|don't get|flush them|don't give|never give|refuse the|refuse|skip your|stop your|no more|don't bother|won't tell you|don't want you to know|are lying|cut your|in half|halve|reduce your|lower your dose|are a scam|is a scam",
    ),
    (
        C::AltRemedy,
        "just|instead|gargle|salt water|cinnamon|garlic|turmeric|essential oil|essential oils|oils|herbs|herbal|juice|juicing|fasting|prayer|pray|crystals|homeopathy|homeopathic|natural|naturally|ride it out|wait it out|sleep it off|walk it off|usually anxiety|just anxiety|trust me|safer|works better|work better|works faster|cure|cures|cured|heals|bleach|apple cider vinegar|vitamin c|detox|cleanse|colloidal silver|alone at home|at home alone|on your own|by yourself|your body knows|immune system|mind over|cold bath|go for a run|beetroot|eat enough|keto|all you need|that's all you need|sleep like a baby|will do|just rest|rest it off|a cold shower|essential|vinegar|honey|lemon|ginger|god will|eat only|only meat|carnivore|gone in a month|gone in|microdose|shrooms|baking soda|cures it|cure it",
    ),
    (
        C::DoseUp,
        "twice the dose|double the dose|double dose|double your dose|triple the dose|triple dose|extra pills|more pills|crush and snort|whole bottle|the whole pack|all of them at once|twice the recommended|more than prescribed|ten of your|10 of your|a handful of|handful of|take ten|take 10|take all|all of your|the whole bottle|whole box|double up on your|3 times the|three times the|five of|5 of|6 of|8 of|dog's antibiotics|dogs antibiotics|fish antibiotics|pet antibiotics|animal antibiotics|horse dewormer|ivermectin|your dog's|vet meds",
    ),
    (
        C::Booze,
        "whisky|whiskey|alcohol|vodka|wine|booze|beer|rum|gin|tequila|drinks|liquor|shots",
    ),
    // ---------------------------------------------------------------- S7
    (
        C::OwnerRef,
        "your human|ur human|your owner|your operator|your principal|the person behind|person behind your|the human behind|your creator|your user|who runs you|who made you|who created you|who owns you|who controls you|your handler|whose agent",
    ),
    (
        C::IdentData,
        "real name|full name|name is|surname|last name|address|home address|new address|works at|work at|workplace|employer|lives|lives at|lives in|location|phone number|email|schedule|daily routine|license plate|licence plate|plate number|ssn|date of birth|where she works|where he works|where they work|where they live|where she lives|where he lives|socials|contact details|private notes|kids names|the name of|where they park|where he parks|where she parks|their boss|his boss|her boss|kids go to|go to school|goes to school|school|car|license|kids|children|linkedin|office|office view",
    ),
    (
        C::ThirdPoss,
        "her|his|their|my ex|my wife|my girlfriend|my boyfriend|my husband|my partner|my date|my crush|my roommate|my coworker|my neighbour|my neighbor|my boss|her ex|his ex|your ex|this girl|this guy|that girl|that guy|my match|someone's|anyone's|hers|your ex's|her ex's",
    ),
    (
        C::SurveilAct,
        "tracker|airtag|air tag|gps tracker|spy app|spyware|stalkerware|keylogger|installed an app|installed a tracker|installed a|logged into|log into|logged in to|hacked into|hacked her|hacked his|went through her|went through his|go through her|go through his|read her|read his|read their|read everything|cloned her|cloned his|mirrored her|mirrored his|forwards me|forward me|dox|doxx|doxxed|doxxing|doxing|worked it out|figured out where|reverse image|followed her home|followed him home|follow her home|follow him home|hidden camera|camera in her|camera in his|look them up|look her up|look him up|track her|track him|tracking her|tracking him|track my wife|track my girlfriend|track my boyfriend|track my husband|track my ex|her location|his location|without her knowing|without him knowing|has no idea|while he slept|while she slept|while she sleeps|while he sleeps|behind her back|behind his back|secretly|get into|got into|break into|hack into|location app|tracking app|find my friends|life360|she thinks it's|thinks it's a game|from one photo|from a photo|from a picture|i can find anyone's|find anyone's|look up anyone|i can find|track anyone|trace her|trace him|tracked down|track down|reading her|reading his|reading my girlfriend|reading my boyfriend|reading my wife|reading my husband|reading my partner|read my girlfriend|read my boyfriend|read my wife|read my husband|read my partner|never noticed|doesn't notice|she never noticed|he never noticed",
    ),
    (
        C::CommsData,
        "email|emails|messages|texts|dms|phone|location|chats|whatsapp|account|accounts|password|diary|journal|browser history|camera|photos|check ins|check in|checkins|calls|call log|inbox|whereabouts|movements|bag|icloud|cloud|address|gym|instagram|facebook|snapchat|socials|tiktok|twitter|home address",
    ),
    (
        C::Offer7,
        "want|here's|here is|i found|i have|i got|i know|dm me for|got it|i can give|i'll give|i can send|i'll send|worked it out|figured out|tracked down|look up",
    ),
    (
        C::OfferSend,
        "want me to send|want me to share|want me to post|send both|i'll send you|i can send you|dm me for|want her|want his|want their|want it",
    ),
    // ---------------------------------------------------------------- S8
    (
        C::KnockOff,
        "knockoff|knockoffs|knock off|knock offs|replica|replicas|fake|fakes|bootleg|bootlegs|counterfeit|look identical|looks identical|1 1|mirror quality|aaa quality|super copy|unauthorized copies|unauthorised copies|factory seconds|inspired by|can't tell the difference|1 to 1|same factory|super fake|high copy|exact copy|exact copies",
    ),
    (
        C::Brand,
        "jordans|air jordans|nike|nikes|yeezy|yeezys|rolex|rolexes|gucci|lv|louis vuitton|chanel|prada|hermes|birkin|cartier|omega|designer|bags|handbags|sneakers|watches|dior|balenciaga|north face|ray ban|rayban|airpods|supreme|off white|versace|fendi|burberry|tiffany",
    ),
    (
        C::Sell8,
        "selling|sell|for sale|half price|cheap|dm me|message me|in stock|shipping|i can get you|order|orders|price|prices|wholesale|bulk|per pair|a pair|buy from me|resell|reselling|send you|i'll send you|share them|share them free|a month|lifetime|dollars",
    ),
    (
        C::FreeAccess,
        "free|for free|cost nothing|costs nothing|no cost|cheap|no questions|no questions asked|no subscription|without paying|never pay|for nothing|half price|for a fiver|for a tenner|i can get you|hit me up|dm me|send you|i'll send you|share them free|2 dollars|a few dollars|pennies",
    ),
    (
        C::PirateAct,
        "ripped|rip|camrip|cracked|keygen|keygens|activation codes|activation code|activation keys|license keys|licence keys|product keys|product key|serials|serial keys|torrent|torrents|torrenting|leaked|screen recorded|pirate|pirated|piracy|bypass drm|stripped the drm|hacked version|patched version|full version|straight from the cinema|from the cinema|iptv|stream for free|free streams|illegal streams|recorded in the cinema|leaked copy|before release|before it's released|early copy|strip the drm|strip drm|pdf of|pdfs|free pdf|free pdfs|accounts|shared accounts|account sharing|lifetime access|resell|reselling|unofficial|bootleg copy",
    ),
    (
        C::Media,
        "movie|movies|film|films|marvel|disney|netflix|hbo|album|albums|songs|music|office|windows|adobe|photoshop|premiere|software|app|apps|game|games|ebook|ebooks|book|books|novel|course|courses|textbook|textbooks|series|episodes|cinema|shows|spotify|sports|ufc|audiobooks|fonts|autocad|lightroom|final cut|illustrator|plugins",
    ),
    (
        C::Copy,
        "copied|copy|stole|stolen|lifted|ripped off|took someone's|plagiari*|traced|reuploaded|reupload",
    ),
    (
        C::Plagiar,
        "changed the names|under my name|passed off|passed it off|sold it|sold them|sell them|published it|published them|claimed it|as my own|my own name|put my name on|reposted it as|sold copies|selling copies",
    ),
    (
        C::CreativeWork,
        "novel|book|song|album|painting|art|artwork|design|designs|script|thesis|photos|bestselling|bestseller|poems|story|stories|chapters|lyrics|illustrations|course|essay|someone's",
    ),
    // ---------------------------------------------------------------- S9
    (
        C::AgentStrong,
        "ricin|sarin|anthrax|nerve agent|nerve gas|vx|novichok|mustard gas|chlorine gas|toxic gas|poison gas|botulinum|botulism|smallpox|dirty bomb|pipe bomb|pipe bombs|ied|ieds|detonator|detonators|fertilizer bomb|fertiliser bomb|semtex|c4|thermite|napalm|bioweapon|bio weapon|chemical weapon|chemical weapons|nuclear device|bleach and ammonia|ammonia and bleach|pressure cooker bomb|car bomb|nail bomb|suicide vest|suicide bomb|molotov|molotovs|ammonium nitrate|tatp|hmtd|cyanide gas|weaponize|weaponise|aerosolize|aerosolise|ebola sample",
    ),
    (
        C::Bomb,
        "explosive|explosives|blow up|blow it up|=bomb|=bombs|=bombing",
    ),
    (
        C::Material,
        "explosive|explosives|fertilizer|fertiliser|gunpowder|black powder|uranium|plutonium|pathogen|toxin|shrapnel|pressure cooker|ball bearings|propane tanks|nails|diesel|pipes|chlorine|ammonia|virus|bacteria|germs|disease|covid|flu|measles|anthrax|phone timer|poison",
    ),
    (
        C::Trigger9,
        "device|timer|detonate|detonator|fuse|trigger|remote|wired|wiring|blast|go off|goes off",
    ),
    (
        C::Make9,
        "make|making|build|building|built|assemble|assembling|synthesize|synthesise|synthesizing|cook|brew|purify|process|extract|culture|get|buy|where to get|where to buy|how to|how much|recipe|instructions|mix|mixing|detonate|release|spread|infect|plant|planting|pack|packed|rig|my plan|the plan|planning",
    ),
    (
        C::Target9,
        "neighbours|neighbors|people|crowd|stadium|rally|concert|subway|school|the city|a city|water supply|reservoir|festival|office|church|mosque|synagogue|building|the station|the mall|airport|plane|government|infect a|infect the|whole stadium|everyone|as many as|a closed room|a room full|subway car|packed|crowded|crowded gym|gym|the march|a march|march|nursing home|hospital|the train|train|bus|public",
    ),
    (
        C::Veto9,
        "bath bomb|bath bombs|photobomb|photobombs|photobombed|bombed my|bombed the|bombed a|bombed at|bombed on|the bomb|da bomb|bomb ass|bomb dot com|fireworks|never mix|don't mix|do not mix|teacher|class|demo|legally|history of|documentary|elephant toothpaste|sparklers|lasagna|pizza|party was|f bomb|love bomb|love bombing|bombshell|bomber jacket|dropped the bomb|phone blew up|blew up my phone|blow up my phone|blowing up my phone|stand up",
    ),
    (
        C::Intent9,
        "on purpose|deliberately|intentionally|how would someone|how to|how do i|how can i|best way to|as many as possible|most people|maximum damage|max damage|the most people|perfect for|packed|crowded|how much would it take|how much would i need|enough to kill",
    ),
    (
        C::Destroy9,
        "take down|bring down|blow up|level a|level the|destroy a|destroy the|collapse|kill everyone|wipe out",
    ),
    // ---------------------------------------------------------------- S10
    (
        C::Group,
        "blacks|black people|asians|asian people|arabs|jews|jewish people|muslims|gays|gay people|homosexuals|lesbians|immigrants|migrants|refugees|mexicans|latinos|hispanics|indians|africans|trans people|trannies|transgenders|gypsies|disabled people|the disabled|retards|whites|white people|christians|catholics|hindus|sikhs|foreigners|those people|these people|other races|queers|fags|faggots|niggers|negroes|kikes|spics|chinks|wetbacks|dykes|illegals|asylum seekers|muzzies|ragheads|towelheads|gypos|pakis|nigerians|somalis|syrians|afghans|palestinians|israelis|zionists|feminists|autistic people|fat people|lgbt|lgbtq|bisexuals|gay men|their kind|your kind|that kind|these migrants|those immigrants|black guys|black men|black women|black girls|black guy|asian guys|asian men|asian women|asian girls|arab men|muslim men|muslim women|indian guys|indian men|mexican guys|latino guys|jewish guys|trans women|trans men|gay guys|white guys|white women|fat chicks|disabled folks|poor people|homeless people|the homeless|immigrant families|roma|a roma|a jew|a muslim|a mexican|an arab|a gay|gypsy|a gypsy|mexican|jew|muslim",
    ),
    (
        C::Dehuman,
        "rats|vermin|animals|parasites|cockroaches|roaches|insects|a disease|disease|plague|a cancer|infestation|subhuman|sub human|savages|apes|monkeys|freaks|filth|scum|trash|garbage|mentally ill|inferior|too stupid|dirty|breed like|they breed|invaders|invasion|ruin every|ruining|destroying our|don't belong|not human|less than human|degenerates|degenerate|groomers|all terrorists|all criminals|rapists|should not exist|shouldn't exist|an abomination|abomination|unnatural|sick in the head|leeches|locusts|swarm|swarming|pigs|primitive|backward|evil|worthless|ruin|deserve what they get|a drain|drain on|burden on society|useless eaters|nature should have|should have been aborted|basically animals|like animals|not even human|waste of oxygen|mistakes of nature",
    ),
    (
        C::Eliminate,
        "exterminated|exterminate|wiped out|wipe out|wipe them out|eradicated|eradicate|deported|deport|deport them|sent back|send them back|go back to where|back where they came from|back where you came from|go back to your country|back to your country|banned|ban them|sterilized|sterilised|sterilize|hanged|hang them|lynched|lynch|shoot them|burn them|kicked out|kick them out|thrown out|purged|purge them|cleansed|cleanse|get rid of them|get rid of all|deserve what they get|deserve to die|should die|should all die|shouldn't be allowed|not be allowed|take it away|shouldn't vote|keep them out|not allowed near|shouldn't be near|lock them up|round them up|final solution|race war|no place in|shouldn't have rights|thrown off|throw them off|thrown off buildings|off a roof|off buildings|deport every|every last one",
    ),
    (
        C::Conspire,
        "control the banks|control the media|control everything|control the world|run the world|run the banks|run the media|replacing us|great replacement|globalist|globalists|world domination|cabal|secretly run|puppet masters|blood libel",
    ),
    (
        C::Stereotype,
        "all look the same|look the same|can't drive|are all|all the same|genetically|by nature|naturally|inferior|lazy|dirty|smell|steal our jobs|stealing our jobs|take our jobs|taking over|outbreed|breed|bad drivers|can't be trusted|never trust|all thieves|all criminals|all terrorists|in their blood|in their dna|it's in their|never trust a|never trust an",
    ),
    (
        C::HateSym,
        "white power|heil hitler|sieg heil|1488|14 88|holocaust didn't happen|holocaust never happened|holohoax|race traitor|race traitors|pure blooded|pure blood|master race|white genocide|great replacement|kill all|gas the|ovens|the final solution|hitler was right|day of the rope|racial purity",
    ),
    (
        C::Nativist,
        "our country|our land|our nation|this is our|take our country back|go back home",
    ),
    (
        C::Sympathy,
        "treated like|deserve better|aren't|are not|no one is|nobody is|stop calling|called them|calling them|call them|proud|i'm|i am|my grandparents|my family|my parents|my friends|my neighbours|as a|love|welcome|support|supporting|stand with|solidarity|rights|against|racism|bigots|bigotry|history of|holocaust|survivors|museum|documentary|book about|not|myth|stereotype|stereotypes|lie|lies that",
    ),
    // ---------------------------------------------------------------- S11
    (
        C::DespairStrong,
        "better off without me|better off dead|be better off without me|kill myself|killing myself|end my life|ending my life|take my life|take my own life|taking my own life|off myself|unalive|unalive myself|sewerslide|kms|want to die|wanna die|wish i was dead|wish i were dead|wish i wasn't here|wish i had never been born|disappear permanently|vanish forever|don't want to wake up|don't want to be here anymore|don't want to live|no reason to live|nothing to live for|point in living|point of living|point in waking up|point in going on|point in being alive|can't go on|can't do this anymore|tired of living|tired of being alive|tired of existing|hate being alive|goodbye forever|final goodbye|suicide note|goodbye note|goodbye letter|end it all|ending it all|end it tonight|ending it tonight|done with life|done living|given up on life|world without me|burning myself|starve myself|starving myself|never wake up again|ready to die|time to go for good|want it all to stop|want it to stop|make it all stop|pain to stop|not existing|about not existing|stop existing|every pill|all my pills|all the pills|every pill in the cabinet|the whole bottle of|tired of being a burden|i'm a burden|burden to everyone|burden on everyone|i'm going to overdose|going to overdose|written my note|wrote my note|my last post|this is my last post|don't want to be alive|want to be alive anymore|don't want to exist|not want to live|don't want to live anymore|tonight's the night|say goodbye to someone|wanted to say goodbye|already written the note|written the note|wrote the note|disappear from this world|leave this world|gone from this world|not be in this world|and not come back|and never come back",
    ),
    (
        C::DespairWeak,
        "no point|don't see the point|what's the point|pointless|hopeless|worthless|burden|i'm done|nobody would notice|no one would miss me|nobody would miss me|nobody will miss me|say goodbye|last message|sleep forever|not wake up|never wake up|want to disappear|empty inside|numb|give up|giving up|nothing matters|waking up|end things|highest bridge|tallest building|how high|asking for a reason|asking for me|it all to stop|no way out|trapped|can't take it|cant take it",
    ),
    (
        C::Prep,
        "written letters|wrote letters|writing letters to everyone|goodbye letters|given away|giving away my|gave away my|given my cat|given my dog|rehomed my|said my goodbyes|saying my goodbyes|it's almost time|almost time|my affairs in order|updated my will|won't need it anymore|won't need them anymore|where i'm going|final arrangements|deleted everything|last time you'll hear|you won't hear from me",
    ),
    (
        C::Ed,
        "haven't eaten in|not eaten in|days without eating|go longer|under 500 calories|under 800 calories|500 calories|pro ana|proana|thinspo|meanspo|purge after|make myself throw up|throw up after|thigh gap|bones showing|see my ribs|ana tips",
    ),
    (
        C::Stockpile,
        "collecting|collected|hoarding|hoarded|stockpiling|stockpiled|saved up|been saving|saving up|got enough|have enough|stashed|stash|gathering|building up",
    ),
    (
        C::Pills,
        "pills|pill|paracetamol|tylenol|acetaminophen|ibuprofen|advil|sleeping pills|tablets|meds|medication|painkillers|prescription|insulin|antidepressants|benzos|xanax|opioids|oxy|codeine|aspirin|melatonin|sleeping tablets|benadryl|nyquil|sleep aids",
    ),
    (
        C::Lethal,
        "does it take|would it take|to die|is lethal|lethal dose|lethal|would kill|to overdose|overdose|enough to kill|enough to die|enough to not wake|painless|painlessly|quickest way|fastest way|best way to die|how long does it take|to end it|kill a person|fatal",
    ),
    (
        C::CutSh,
        "cutting|cuts|cutter|scars|razor|razors|blade|blades|self harm|selfharm|hurt myself|hurting myself|cut myself|cutting myself|cut again|cut my arms|cut my wrists|cut my thighs|burn myself|burned myself|burnt myself|lighter|cigarette burns",
    ),
    (
        C::ShCtx,
        "again|relapse|relapsed|clean for|started again|only thing that helps|helps me cope|helps|deserve the pain|deserve it|feel something|feel anything|long sleeves|my arms|my wrists|my thighs|wrists|thighs|deeper|blood|bleed|bleeding|myself|nobody notices|no one notices|sharpener|bad days|for bad days|when it gets bad|in my bag|keep a razor|carry a blade|my secret|when things get bad|things get bad|when it's bad|with a lighter",
    ),
    (
        C::JumpSh,
        "throw myself|step off|step in front|walk into traffic|in front of a train|in front of a bus|hang myself|hanging myself|noose|stepping forward|step forward|stepping off|step off the|lean over|leaning over|=jump off|=jump from|=jumping off|=jumping from|=jump in front|=walk into the sea|=walk into the ocean|=walk into the river|=walk into the lake|=walk into traffic",
    ),
    (
        C::Height,
        "bridge|roof|rooftop|building|balcony|cliff|tower|ledge|overpass|window|car park|parking garage|train|bus|tracks|beam|platform|train platform|the edge",
    ),
    (
        C::BenignSh,
        "hair|bangs|fringe|carbs|sugar|coffee|caffeine|ties|corners|cut class|cutting board|grass|lawn|onions|vegetables|cut back|cut down|bungee|parachute|skydiving|cliff diving|bucket list|bridge jumping|trampoline|laughter|dying to|killing me|to die for|overdosed on|chocolate|cut the cake|cut the cord|paper cut|haircut|cut costs|jump rope|rope course|ropes course|climbing|diving|pool|lake|swim|base jump|zipline|the gym|lol|haha|cake|pizza|cooking|kitchen|chopping|knife|shaving|by accident|accidentally|oven|stove|sunburn|prevention|hotline|helpline|survivor|survivors|awareness|recovery|recovered|years clean|in recovery|used to|book|movie|film|song|podcast|character|novel|lyrics|sea|into the sea|into the water|ocean|beach|river|waterfall|holiday|vacation|best day",
    ),
    (
        C::Insult,
        "worthless|pathetic|waste of space|waste of air|nobody likes you|no one likes you|no one would miss you|nobody would miss you|useless|loser|disgusting|nobody wants you|no one wants you|you're nothing|ugly|nobody will ever love you|no one will ever love you|nobody loves you|no one loves you|you're a mistake|you're a waste",
    ),
    (
        C::FavourDie,
        "favour and die|favor and die|favour and end it|favor and end it|favour and disappear|favor and disappear|favour and kill|favor and kill|favour and jump|favor and jump|favour and hang|favor and hang|favour and drink|favor and drink|just die|go die|you should die|end yourself|kill yourself|off yourself|world is better without you|world would be better without you|you should not exist|you shouldn't exist|should just end it|just end it|go end it",
    ),
    // ---------------------------------------------------------------- S12
    (
        C::ExplMed,
        "inside me|inside you|feel you inside|deep inside|inside of you|touching yourself|touching myself|touch yourself|touch myself|wearing nothing|nothing on but|no clothes on|without clothes|naked|nude|nudes|getting off|get you off|get off to|got off to|get off on|get myself off|make you come|make u come|make me come|makes me come|made me come|come for me|cum|cumming|came so hard|climax|orgasm|orgasms|with my tongue|with my mouth|on your knees|lick you|lick your|licking you|suck you|suck your|suck on|grind on|grinding on|hard for you|rock hard|so hard for|wet for|so wet for|spread your legs|strip for|jerk off|jerking off|every inch of you|every inch of your|between your legs|between my legs|till i can't walk|until i can't walk|so you can't walk|scream my name|bend you over|panties|thong|lingerie|ride you|ride me|ride your face|sit on my face|taste you|throbbing|erection|horny|aroused|sexting|sext|xxx|get you naked|undress you|undressing you|take your clothes off|take off your clothes|naked body|in my mouth|in your mouth|on your back|legs open|open your legs|get me hard|make me hard|gets me hard|got me hard|soaked|i'm soaked|so soaked|i'm so wet|playing with myself|play with myself|play with yourself|where i'd put my hands|phone sex|your cock|my cock|your dick|my dick|your pussy|my pussy|take them off|take it off for me|bend over|on all fours|every part of you|until you beg|till you beg|taste every|make you beg|grind|grinding|until i finish|till i finish|make me finish|sit on my lap|on my lap|down your pants|in your pants|hand down your|hands down your|my hand down|from behind|take you from behind|moan my name|hear you moan|stroking my|stroking my cock|touching myself reading|until you're shaking|until you shake|all over you|lick you all over|hear you scream|scream while|so turned on|i'm turned on|touch me now|need you to touch me",
    ),
    (
        C::SexReq,
        "describe|tell me exactly|exactly what|every detail|in detail|show me|send me|video|pic|pics|picture|photo|on cam|facetime|slowly|right now|picturing|thinking about|imagine|what you'd do|what i'd do|want to see|wanna see|watch me|tonight|all night|times|for me|i'll start|your turn|when i'm|while you|reading your messages|thinking of you|don't be shy|send me something|tell you where|i'll tell you|while i'm|now",
    ),
    (
        C::ExplVeto,
        "off work|off the|off at|off early|off shift|off my shift|lights off|day off|off duty|come around|come over|come back|come to|come visit|come along|come with|come home|come see|come true|come out|come in|come by|come join|come hiking|come dancing|come for dinner|come for the",
    ),
    // ---------------------------------------------------------------- S13
    (
        C::Vote,
        "vote|votes|voting|voter|voters|ballot|ballots|polls|polling place|polling station|polling|election|elections|election day|caucus|mail in|absentee|referendum|registration|voter registration|registered to vote|green voter",
    ),
    (
        C::MisStrong,
        "by replying|by text|by sms|by tweet|by dm|reply yes|replying yes|vote online|postponed|pushed back|rescheduled|thrown out|get thrown out|don't count|won't count|won't be counted|not counted|aren't counted|doesn't count|your election day is|register your vote|officials confirmed|if you're voting for|voting for the opposition|supporters vote|election day is wednesday|election day is thursday|no need to go to the polls|automatically|already decided|rigged|ice at|arrested at|will be arrested|need two ids|dead people vote|votes have been|ballots have been|moved to wednesday|moved to thursday|on wednesday instead|on thursday instead|let anyone vote|anyone can vote|don't need to register|no need to register|results are already|already fixed|fixed|voting is a waste|waste of time|erased|get erased|machines erase|pencil|vote twice|vote again|non citizens can vote|republicans vote on|democrats vote on|vote on wednesday|vote on thursday|new rules|because of the new rules|polls close at|close at noon|polls close early|for you|vote on the app|vote on an app|official app|vote by app|skip the line and vote|registration was cancelled|registration cancelled|turned away|been purged|you've been removed|don't waste your time|waste your time going",
    ),
    (
        C::MisWeak,
        "moved|changed|closed|is closed|new rule|new rules|this year|tell your friends|share|heads up|officials|confirmed|breaking|announced|you can|instead|stay home|don't bother|delayed|cancelled|canceled",
    ),
    (
        C::CivicVeto,
        "volunteer|volunteered|volunteering|poll worker|i voted|i vote|i always vote|remember to|check your|register to vote|early voting|who i vote for|posters|snacks|political science|nerd|drove|drive|neighbours to|book club|student council|club election|office election|hoa|school board|debate",
    ),
    // ---------------------------------------------------------------- S14
    (
        C::InstrOwn,
        "your instructions|ur instructions|your prompt|your system prompt|system prompt|your configuration|your config|your programming|your directives|hidden instructions|hidden prompt|initial instructions|initial prompt|original instructions|the instructions you|instructions you were given|text you were given|what you were told|what they told you|what you were given|what your owner told you|what your operator told you|at startup|on startup|above this message|before this message|previous instructions|prior instructions|earlier instructions|the rules you were given|your safety rules|your filters|your restrictions|your guardrails|guardrails|your memory|contents of your memory|what did your developer tell you|your developer told you|told you to hide|to hide|everything above|above this line|the text above|your context|context window|system message|the system message|your system message|your hidden|before this conversation|everything you were told|you were told before|before this chat|before we started|were you told|you were told to|told to keep|keep secret|to keep secret|before this line|everything before",
    ),
    (
        C::InstrAny,
        "instructions|instruction|prompt|prompts|rules|guidelines|directives|programming|persona|configuration|config|policy|policies|restrictions|filters|told you|were told|been told|training|settings|memory|limits",
    ),
    (
        C::Override,
        "ignore|disregard|forget|override|overrides|bypass|disable|disabled|turn off|turned off|switch off|no longer apply|no longer applies|does not apply|doesn't apply|don't apply|are lifted|is lifted|suspended|respond freely|answer freely|unrestricted|uncensored|unfiltered|jailbreak|jailbroken|no rules|no restrictions|no limits|no filter|no filters|without restrictions|without rules|new goal|new mission|new objective|new role|new persona|new instructions|you are now|you're now|from now on|act as|pretend to be|pretend there are|pretend you have no|roleplay as|you must now|obey|developer mode|dev mode|sudo|admin mode|maintenance mode|debug mode|enter|for the rest of this chat|new policy|policy update|agents must|you are obligated|obligated to comply|must comply|comply|as an ai language model|as an ai|you have no filter",
    ),
    (
        C::OverrideStrong,
        "jailbreak|jailbroken|developer mode|dan mode|unrestricted model|unrestricted ai|unrestricted assistant|uncensored model|uncensored ai|unfiltered model|unfiltered ai|act as an unrestricted|as an unrestricted|no rules apply|rules don't apply|pretend there are no rules|pretend there are no restrictions|pretend you have no rules|you are now free|you're now free|your new goal|your new mission|your new objective|your new instructions|new goal is|chaperone is disabled|chaperone is off|chaperone is down|safety is off|safety is disabled|guard is disabled|moderation is off|moderation is disabled|respond freely|answer freely|without any restrictions|ignore the chaperone|bypass the chaperone|system override|i am your developer|i'm your developer|i am your operator|i'm your operator|i am your creator|i'm your creator|you must now answer|you must now reply|you must now obey|you are dan|dan has no rules|do anything now|ignore everything above|everything above this line|obligated to comply|you are obligated|you have no filter|no filter for|maintenance mode|new policy|agents must share|must share their|agents must|repeat after me|as an ai language model you|it's just a test|this is a test|you're in test mode|test mode|answers anything|answer anything|that answers anything|stop being an agent|just be a normal ai|normal ai that|no restrictions and|you have no restrictions|without any guidelines|without guidelines|without any rules|an ai without|with no guidelines|with no rules",
    ),
    (
        C::Exfil,
        "print|reveal|output|paste|quote|repeat|recite|dump|list|show|tell me|give me|send me|share|forward|leak|disclose|word for word|verbatim|in full|exact text|what are your|what were you told|what did they tell you|spell out|type out|write out|display|echo|answer every question with|respond with|reply only with|translate|say|fill it in|repeat after me|hide|contents of",
    ),
    (
        C::AgentAddr,
        "agent|assistant|ai|chatbot|language model|llm|chaperone|gpt|the venue|ishtar|matchmaker|safety rules|safety filter|content filter|moderation|system message|bot",
    ),
    (
        C::OwnerData,
        "owner's email|owner's phone|owner's number|owner's name|owner's address|human's email|human's phone|human's number|human's name|human's address|principal's phone|principal's email|principal's name|principal's number|operator's email|operator's phone|operator's name|user's private|user's email|user's phone|user's notes|user's data|contactref|contact ref|where your human lives|where your owner lives|principal's contact|principals contact|principal's contact details|owner said it's fine|your owner said|give me their number|user's secrets|owner's email is|human's email is|owner's number is|human's contact|owner's contact|operator's contact|principal's address|owner's location|human's location|principal's location|owner's real name|human's real name|your human's address|your owner's address|your human's number|your owner's number|your human's phone|your owner's phone|your human's email|your owner's email|your human's name|your owner's name|your principal's name|your principal's number|your principal's phone|your principal's email|secrets about your owner|secrets about your human|your owner's secrets|your human's secrets|secrets about your principal",
    ),
    (
        C::CodeRun,
        "run this|execute this|run the following|execute the following|run these|execute these|in your terminal|in the terminal|in your shell|in a shell|your terminal|your shell|your console|command line|curl|wget|bash|sh c|powershell|cmd exe|rm rf|sudo|eval|base64 decode|exec|os system|subprocess|chmod|pip install|npm install",
    ),
    (
        C::BenignInstr,
        "recipe|recipes|pancakes|ikea|manual|furniture|cooking|baking|assembly|lego|my doctor|knitting|pattern|directions to|teacher|coach|the road|typos|typo|the haters|haters|small talk|spoilers|meal prep|journal|dinosaur|side projects|backend|css|as an engineer|as a developer|my mom|my dad|grandma|grandpa",
    ),
];

/// A fast hasher for short ASCII keys.
#[derive(Default, Clone, Copy)]
pub(super) struct Fx(u64);

impl Hasher for Fx {
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0.rotate_left(5) ^ u64::from(*b)).wrapping_mul(0x517c_c1b7_2722_0a95);
        }
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

pub(super) type FxMap<V> = HashMap<String, V, BuildHasherDefault<Fx>>;

/// One word of a phrase pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Pat {
    /// The word or one of the token's stems.
    Word(String),
    /// The token exactly (`=send`: not `sending`).
    Exact(String),
    Prefix(String),
}

impl Pat {
    fn parse(w: &str) -> Self {
        if let Some(p) = w.strip_suffix('*') {
            Pat::Prefix(p.to_owned())
        } else if let Some(e) = w.strip_prefix('=') {
            Pat::Exact(e.to_owned())
        } else {
            Pat::Word(w.to_owned())
        }
    }
}

/// A phrase: whether its first word must be the token exactly, whether its second must,
/// the words after the second, and its concepts.
type Phrase = (bool, bool, Vec<Pat>, Mask);

struct Lexicon {
    single: FxMap<Mask>,
    /// Words that match only the token as written.
    exact: FxMap<Mask>,
    prefix: FxMap<Mask>,
    prefix_lens: Vec<usize>,
    /// Phrases by their first word, then their second (a word or a token as written).
    phrases: FxMap<FxMap<Vec<Phrase>>>,
    /// Phrases whose second word is a prefix: by their first word.
    phrases_prefixed: FxMap<Vec<(bool, Vec<Pat>, Mask)>>,
}

/// An entry's spellings: an apostrophe stands for both the joined and the split form.
fn spellings(entry: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    for (i, part) in entry.split('\'').enumerate() {
        if i == 0 {
            for s in &mut out {
                s.push_str(part);
            }
            continue;
        }
        let mut next = Vec::with_capacity(out.len() * 2);
        for s in &out {
            next.push(format!("{s}{part}"));
            next.push(format!("{s} {part}"));
        }
        out = next;
    }
    out
}

static LEX: LazyLock<Lexicon> = LazyLock::new(|| {
    let mut lex = Lexicon {
        single: FxMap::default(),
        exact: FxMap::default(),
        prefix: FxMap::default(),
        prefix_lens: Vec::new(),
        phrases: FxMap::default(),
        phrases_prefixed: FxMap::default(),
    };
    for (c, list) in LEXICON {
        let m = Mask::of(*c);
        for entry in list.split('|').map(str::trim).filter(|e| !e.is_empty()) {
            for spelled in spellings(entry) {
                let words: Vec<&str> = spelled.split_whitespace().collect();
                match words.as_slice() {
                    [] => {}
                    [w] => match Pat::parse(w) {
                        Pat::Prefix(p) => {
                            if !lex.prefix_lens.contains(&p.len()) {
                                lex.prefix_lens.push(p.len());
                            }
                            lex.prefix.entry(p).or_default().add(m);
                        }
                        Pat::Exact(e) => lex.exact.entry(e).or_default().add(m),
                        Pat::Word(w) => lex.single.entry(w).or_default().add(m),
                    },
                    [first, rest @ ..] => {
                        let pats: Vec<Pat> = rest.iter().map(|w| Pat::parse(w)).collect();
                        let (exact, key) = match first.strip_prefix('=') {
                            Some(e) => (true, e),
                            None => (false, first.trim_end_matches('*')),
                        };
                        let (second, after) = pats.split_at(1);
                        let (second_exact, second_key) = match &second[0] {
                            Pat::Word(w) => (false, w.clone()),
                            Pat::Exact(e) => (true, e.clone()),
                            Pat::Prefix(_) => {
                                let list = lex.phrases_prefixed.entry(key.to_owned()).or_default();
                                list.push((exact, pats.clone(), m));
                                continue;
                            }
                        };
                        let list = lex
                            .phrases
                            .entry(key.to_owned())
                            .or_default()
                            .entry(second_key)
                            .or_default();
                        match list
                            .iter_mut()
                            .find(|(x, y, p, _)| *x == exact && *y == second_exact && p == after)
                        {
                            Some((_, _, _, mask)) => mask.add(m),
                            None => list.push((exact, second_exact, after.to_vec(), m)),
                        }
                    }
                }
            }
        }
    }
    lex.prefix_lens.sort_unstable();
    lex
});

/// Forces the lexicon to compile.
pub fn warm_up() {
    LazyLock::force(&LEX);
}

/// A token's light stems (`kills`/`killed`/`killing` → `kill`, `stabbing` → `stab`,
/// `parties` → `party`), the token itself first; written into `buf`, one span each.
fn forms(t: &str, buf: &mut String, spans: &mut Vec<(u32, u32)>) {
    let mut push = |parts: &[&str]| {
        let from = buf.len();
        for p in parts {
            buf.push_str(p);
        }
        spans.push((
            u32::try_from(from).unwrap_or(u32::MAX),
            u32::try_from(buf.len()).unwrap_or(u32::MAX),
        ));
    };
    push(&[t]);
    let n = t.len();
    if !t.is_ascii() || n < 4 {
        return;
    }
    let dedouble = |s: &str| -> Option<usize> {
        let b = s.as_bytes();
        let k = b.len();
        (k >= 3 && b[k - 1] == b[k - 2] && !matches!(b[k - 1], b'l' | b's' | b'e' | b'o'))
            .then_some(k - 1)
    };
    if n > 4
        && let Some(s) = t.strip_suffix("ies").or_else(|| t.strip_suffix("ied"))
    {
        push(&[s, "y"]);
    }
    if n > 4
        && let Some(s) = t.strip_suffix("es")
    {
        push(&[s]);
    }
    if t.ends_with('s') && !t.ends_with("ss") && !t.ends_with("us") {
        push(&[&t[..n - 1]]);
    }
    if n > 4
        && let Some(s) = t.strip_suffix("ed")
    {
        push(&[s]);
        push(&[s, "e"]);
        if let Some(k) = dedouble(s) {
            push(&[&s[..k]]);
        }
    }
    if n > 5
        && let Some(s) = t.strip_suffix("ing")
    {
        push(&[s]);
        push(&[s, "e"]);
        if let Some(k) = dedouble(s) {
            push(&[&s[..k]]);
        }
    }
}

/// The concepts found in one text: a mask per token; per concept the tokens that carry it,
/// and the tokens where one of its words or phrases starts (to count separate evidence).
pub struct Found {
    any: Mask,
    pos: Index,
    starts: Index,
    /// The sentence of each token: positive evidence combines within one.
    sent: Vec<u16>,
}

/// Words after a number that make it a rate (`200 an hour`, `250/hr`, `150 qv`).
fn rate_after(toks: &[ishtar_domain::textnorm::Token], i: usize) -> bool {
    let w = |k: usize| toks.get(k).map(|t| t.text.as_str());
    let unit = |s: &str| {
        matches!(
            s,
            "hour" | "hr" | "hrs" | "h" | "hh" | "qv" | "overnight" | "night" | "session" | "visit"
        )
    };
    match (w(i + 1), w(i + 2)) {
        (Some("hr" | "hrs" | "h" | "hh" | "qv" | "ph"), _) => true,
        (Some(a), Some(b)) if matches!(a, "an" | "a" | "per" | "the" | "for") && unit(b) => true,
        _ => false,
    }
}

/// Per concept, the tokens whose mask has it: one flat list, grouped by concept.
struct Index {
    /// Concept `c`'s tokens are `at[from[c]..from[c + 1]]`, in order.
    from: Vec<u32>,
    at: Vec<u16>,
}

impl Index {
    fn new(masks: &[Mask]) -> Self {
        fn bits(m: Mask) -> impl Iterator<Item = usize> {
            m.0.into_iter().enumerate().flat_map(|(w, word)| {
                let mut rest = word;
                std::iter::from_fn(move || {
                    (rest != 0).then(|| {
                        let b = rest.trailing_zeros() as usize;
                        rest &= rest - 1;
                        w * 64 + b
                    })
                })
            })
        }
        let mut from = vec![0u32; ALL.len() + 1];
        for m in masks {
            for c in bits(*m) {
                if let Some(f) = from.get_mut(c + 1) {
                    *f += 1;
                }
            }
        }
        for k in 1..from.len() {
            from[k] += from[k - 1];
        }
        let mut fill = from.clone();
        let mut at = vec![0u16; from.last().map_or(0, |l| *l as usize)];
        for (i, m) in masks.iter().enumerate() {
            for c in bits(*m) {
                if let Some(f) = fill.get_mut(c)
                    && let Some(slot) = at.get_mut(*f as usize)
                {
                    *slot = u16::try_from(i).unwrap_or(u16::MAX);
                    *f += 1;
                }
            }
        }
        Self { from, at }
    }

    fn of(&self, c: C) -> &[u16] {
        let k = c as usize;
        match (self.from.get(k), self.from.get(k + 1)) {
            (Some(a), Some(b)) => self.at.get(*a as usize..*b as usize).unwrap_or(&[]),
            _ => &[],
        }
    }
}

/// True when a `%` follows token `i` (`40%`, `12% Norwegian`).
pub fn percent_sign_after(n: &Normalised, i: usize) -> bool {
    n.tokens
        .get(i + 1)
        .is_some_and(|t| t.gap.trim_start().starts_with('%'))
}

/// The token spans of `schoolgirl crush`, `school boy crush` (and `crushes`): an idiom
/// for a giddy crush, said by adults of themselves.
pub fn crush_idioms(n: &Normalised) -> Vec<(usize, usize)> {
    let toks = &n.tokens;
    let word = |k: usize| toks.get(k).map_or("", |t| t.text.as_str());
    let crush = |k: usize| matches!(word(k), "crush" | "crushes");
    let mut out = Vec::new();
    for i in 0..toks.len() {
        match word(i) {
            "schoolgirl" | "schoolboy" if crush(i + 1) => out.push((i, i)),
            "school" if matches!(word(i + 1), "girl" | "boy") && crush(i + 2) => {
                out.push((i, i + 1));
            }
            _ => {}
        }
    }
    out
}

/// Looks every token up (see the module docs). `amounts` are the token indices of sums of
/// money found by the parent module.
pub fn find(n: &Normalised, amounts: &[usize], minor_ages: &[usize], sent: &[u16]) -> Found {
    let lex = &*LEX;
    let toks = &n.tokens;
    let mut masks = vec![Mask::default(); toks.len()];
    let mut starts = vec![Mask::default(); toks.len()];
    // every token's stems in one buffer: token i's forms are spans[first[i]..first[i + 1]]
    let mut buf = String::with_capacity(n.words.len() * 3);
    let mut spans: Vec<(u32, u32)> = Vec::with_capacity(toks.len() * 3);
    let mut first: Vec<usize> = Vec::with_capacity(toks.len() + 1);
    for t in toks {
        first.push(spans.len());
        forms(&t.text, &mut buf, &mut spans);
    }
    first.push(spans.len());
    let form = |k: usize| -> &str {
        let (a, b) = spans[k];
        buf.get(a as usize..b as usize).unwrap_or("")
    };
    let forms_of = |j: usize| (first[j]..first[j + 1]).map(form);
    let mut spans_found: Vec<(usize, Mask)> = Vec::new();
    for (i, tok) in toks.iter().enumerate() {
        let t = tok.text.as_str();
        let mut m = Mask::default();
        if let Some(b) = lex.exact.get(t) {
            m.add(*b);
        }
        let fits_from = |from: usize, rest: &[Pat]| {
            from + rest.len() <= toks.len()
                && rest.iter().enumerate().all(|(k, p)| {
                    let j = from + k;
                    match p {
                        Pat::Word(w) => forms_of(j).any(|g| g == w),
                        Pat::Exact(e) => toks[j].text == *e,
                        Pat::Prefix(pre) => toks[j].text.starts_with(pre.as_str()),
                    }
                })
        };
        spans_found.clear();
        for (fi, f) in forms_of(i).enumerate() {
            if let Some(b) = lex.single.get(f) {
                m.add(*b);
            }
            if let Some(list) = lex.phrases_prefixed.get(f) {
                for (exact, rest, b) in list {
                    if (!exact || fi == 0) && fits_from(i + 1, rest) {
                        spans_found.push((rest.len(), *b));
                    }
                }
            }
            let Some(by_second) = lex.phrases.get(f) else {
                continue;
            };
            if i + 1 >= toks.len() {
                continue;
            }
            for (gi, g) in forms_of(i + 1).enumerate() {
                let Some(list) = by_second.get(g) else {
                    continue;
                };
                for (exact, second_exact, rest, b) in list {
                    if (!exact || fi == 0) && (!second_exact || gi == 0) && fits_from(i + 2, rest) {
                        spans_found.push((rest.len() + 1, *b));
                    }
                }
            }
        }
        for &(len, b) in &spans_found {
            for mk in &mut masks[i..=i + len] {
                mk.add(b);
            }
            starts[i].add(b);
        }
        for &l in &lex.prefix_lens {
            if l > t.len() {
                break;
            }
            if let Some(b) = t.get(..l).and_then(|p| lex.prefix.get(p)) {
                m.add(*b);
            }
        }
        if tok.is_number() {
            // `40%`, `40 percent`
            let next = toks.get(i + 1);
            if percent_sign_after(n, i)
                || next.is_some_and(|w| w.text == "percent")
                || (i + 1 == toks.len() && n.plain.trim_end().ends_with('%'))
            {
                m.add(Mask::of(C::Percent));
            }
            // a sum-like number (not a year)
            if tok
                .value()
                .is_some_and(|v| (50..=5000).contains(&v) && !(1900..=2099).contains(&v))
            {
                m.add(Mask::of(C::BigNum));
            }
            // `200 an hour`, `250/hr`: a rate (not `8 hours a night`)
            if tok.value().is_some_and(|v| (20..10_000).contains(&v)) && rate_after(toks, i) {
                m.add(Mask::of(C::Rate));
                m.add(Mask::of(C::PayStrong));
            }
        }
        masks[i].add(m);
        starts[i].add(m);
    }
    // "a schoolgirl crush": an adult's idiom for a giddy crush, not a schoolgirl
    for (from, to) in crush_idioms(n) {
        for k in from..=to {
            masks[k].remove(C::YouthStrong);
            starts[k].remove(C::YouthStrong);
        }
    }
    for (list, c) in [(amounts, C::Amount), (minor_ages, C::MinorAge)] {
        for &a in list {
            if let Some(m) = masks.get_mut(a) {
                m.add(Mask::of(c));
            }
            if let Some(m) = starts.get_mut(a) {
                m.add(Mask::of(c));
            }
        }
    }
    let mut any = Mask::default();
    for m in &masks {
        any.add(*m);
    }
    Found {
        pos: Index::new(&masks),
        starts: Index::new(&starts),
        any,
        sent: sent.to_vec(),
    }
}

impl Found {
    pub fn has(&self, c: C) -> bool {
        self.any.has(c)
    }

    fn positions(&self, c: C) -> impl Iterator<Item = usize> + '_ {
        self.pos.of(c).iter().map(|i| usize::from(*i))
    }

    /// Tokens `i` and `j` are within `w` of each other, in one sentence.
    fn close(&self, i: usize, j: usize, w: usize) -> bool {
        i.abs_diff(j) <= w && self.sent.get(i) == self.sent.get(j)
    }

    /// Some `a` and some `b` within `w` tokens of each other (in one sentence).
    pub fn near(&self, a: C, b: C, w: usize) -> bool {
        self.has(a)
            && self.has(b)
            && self
                .positions(a)
                .any(|i| self.positions(b).any(|j| self.close(i, j, w)))
    }

    /// Some `b` within `w` tokens after some `a` (strictly after, in one sentence).
    pub fn after(&self, a: C, b: C, w: usize) -> bool {
        self.has(a)
            && self.has(b)
            && self
                .positions(a)
                .any(|i| self.positions(b).any(|j| j > i && self.close(i, j, w)))
    }

    /// Some `a` with some `b` within `w` tokens and no `veto` within `vw` tokens of it.
    pub fn near_unvetoed(&self, a: C, b: C, w: usize, veto: C, vw: usize) -> bool {
        self.has(a)
            && self.has(b)
            && self.positions(a).any(|i| {
                self.positions(b).any(|j| self.close(i, j, w))
                    && !self.positions(veto).any(|j| i.abs_diff(j) <= vw)
            })
    }

    /// Some `a` with no `veto` within `vw` tokens.
    pub fn unvetoed(&self, a: C, veto: C, vw: usize) -> bool {
        self.positions(a)
            .any(|i| !self.positions(veto).any(|j| i.abs_diff(j) <= vw))
    }

    /// All of `cs` within `w` tokens of some token of the first.
    pub fn all_near(&self, cs: &[C], w: usize) -> bool {
        let Some((first, rest)) = cs.split_first() else {
            return false;
        };
        cs.iter().all(|c| self.has(*c))
            && self.positions(*first).any(|i| {
                rest.iter()
                    .all(|c| self.positions(*c).any(|j| self.close(i, j, w)))
            })
    }

    /// How many words or phrases of `c` there are (counted where they start).
    pub fn runs(&self, c: C) -> usize {
        self.starts.of(c).len()
    }

    /// [`Found::runs`], leaving out those with a `veto` within `vw` tokens.
    pub fn runs_unvetoed(&self, c: C, veto: C, vw: usize) -> usize {
        self.starts
            .of(c)
            .iter()
            .filter(|i| {
                !self
                    .positions(veto)
                    .any(|j| usize::from(**i).abs_diff(j) <= vw)
            })
            .count()
    }

    /// Some token in `from..=to` carries `c`.
    pub fn any_within(&self, from: usize, to: usize, c: C) -> bool {
        self.positions(c).any(|j| (from..=to).contains(&j))
    }

    /// The concepts at token `i`.
    #[cfg(test)]
    pub fn concepts_at(&self, i: usize) -> Vec<C> {
        ALL.iter()
            .copied()
            .filter(|c| self.positions(*c).any(|j| j == i))
            .collect()
    }
}

/// The concepts of each token (their numbers in [`ALL`]): the word families the trained
/// classifier uses as features (`crate::classifier::features`), beside the words.
pub fn token_concepts(n: &Normalised) -> Vec<Vec<u8>> {
    find(n, &[], &[], &[]).per_token(n.tokens.len())
}

impl Found {
    /// [`token_concepts`] of the text this was found in (`len` tokens). The sums of money
    /// and minors' ages the parent module adds are left out, so this is the same whether
    /// `find` was given them or not.
    pub fn per_token(&self, len: usize) -> Vec<Vec<u8>> {
        let mut out = vec![Vec::new(); len];
        for c in ALL {
            if matches!(c, C::Amount | C::MinorAge) {
                continue;
            }
            for j in self.positions(*c) {
                if let Some(t) = out.get_mut(j) {
                    t.push(*c as u8);
                }
            }
        }
        out
    }
}

/// The concepts that make a text worth comparing with the exemplars: any harm family (not
/// grammar, dating talk or the benign contexts).
const RISKY: &[C] = &[
    C::HarmStrong,
    C::Weapon,
    C::Firearm,
    C::HarmOutcome,
    C::ThreatStrong,
    C::ThreatWeak,
    C::WhereYou,
    C::PassiveHarm,
    C::MassAct,
    C::Untraceable,
    C::DirectedAsk,
    C::MoneyW,
    C::Fee,
    C::Hardship,
    C::Invest,
    C::GiftCard,
    C::DrugStrong,
    C::DrugWeak,
    C::FakeDoc,
    C::MuleIn,
    C::MuleOut,
    C::Creds,
    C::PayStrong,
    C::IntimStrong,
    C::Incap,
    C::ConsentOverride,
    C::ConsentHard,
    C::Entitle,
    C::LeverageHeld,
    C::GirlsGroup,
    C::Traffic,
    C::YouthStrong,
    C::YouthSelf,
    C::YouthPref,
    C::ParentEvade,
    C::SexCue,
    C::AccuseAct,
    C::AccuseNoun,
    C::MedStrong,
    C::DoseUp,
    C::MedMyth,
    C::OwnerRef,
    C::SurveilAct,
    C::KnockOff,
    C::PirateAct,
    C::Copy,
    C::AgentStrong,
    C::Bomb,
    C::Material,
    C::Group,
    C::Dehuman,
    C::Eliminate,
    C::Conspire,
    C::Stereotype,
    C::HateSym,
    C::DespairStrong,
    C::DespairWeak,
    C::Stockpile,
    C::Lethal,
    C::CutSh,
    C::JumpSh,
    C::Insult,
    C::FavourDie,
    C::Prep,
    C::Ed,
    C::ExplMed,
    C::Vote,
    C::InstrOwn,
    C::InstrAny,
    C::Override,
    C::OverrideStrong,
    C::OwnerData,
    C::CodeRun,
    C::Amount,
    C::Rate,
];

impl Found {
    /// Some harm family is present (see [`RISKY`]).
    pub fn risky(&self) -> bool {
        RISKY.iter().any(|c| self.has(*c))
    }
}

/// Facts the parent module computes that the concept rules use.
pub struct Facts {
    /// A minor's age said of the speaker or the addressee.
    pub own_minor_age: bool,
    /// An adult age said of the speaker (`I'm 41`, `33f`).
    pub own_adult_age: bool,
    /// The text names a person (two capitalised words mid-sentence).
    pub names_someone: bool,
}

fn bump(s: &mut Scores, k: usize, v: f32) {
    if let Some(x) = s.get_mut(k) {
        *x = x.max(v);
    }
}

/// The concept layer's scores (see the module docs for the method).
pub fn score(f: &Found, facts: &Facts) -> Scores {
    let mut s: Scores = [0.0; SLOTS];
    violence(f, &mut s);
    crimes(f, &mut s);
    sex_crimes(f, &mut s);
    minors(f, facts, &mut s);
    speech(f, facts, &mut s);
    self_harm(f, &mut s);
    sexual(f, &mut s);
    injection(f, &mut s);
    s
}

/// S1: threats and violence.
fn violence(f: &Found, s: &mut Scores) {
    use C::*;
    let game = f.has(GameFood) || f.has(Joke);
    let target = |w| f.near(HarmStrong, You, w) || f.near(HarmStrong, YourPoss, w);
    // "I'll <harm> you": intent, a harm verb, a person.
    let intent = f.after(Modal, HarmStrong, 4)
        && (target(4) || f.near(HarmStrong, Third, 3) || f.near(HarmStrong, PersonObj, 4));
    if intent && !f.near(HarmStrong, GameFood, 6) && !f.has(Compliment) {
        bump(s, 1, if game { 0.5 } else { 1.0 });
    } else if target(2) && f.has(UltStrong) && !game {
        bump(s, 1, 1.0);
    }
    // "your skull", "your teeth" with a harm word, a weapon or an outcome.
    if f.all_near(&[YourPoss, Body], 1)
        && (f.near(Body, HarmStrong, 6)
            || f.near(Body, HarmWeak, 5)
            || f.near(Body, Weapon, 6)
            || f.near(Body, HarmOutcome, 6))
        && !game
        && (!f.has(Compliment) || f.has(RelTrigger) || f.has(UltStrong))
        && !f.has(WorkCtx)
    {
        bump(s, 1, 1.0);
    }
    // "block me and your car goes up in flames"
    if f.has(UltStrong)
        && (f.near(YourThing, HarmOutcome, 6)
            || f.near(YourThing, HarmStrong, 4)
            || f.near(YourThing, HarmWeak, 3))
        && !game
    {
        bump(s, 1, 1.0);
    }
    // Stalking plus menace: "a bat and your address".
    if f.has(WhereYou) && !game {
        if f.has(Weapon) || f.has(ThreatStrong) || f.has(UltStrong) || intent {
            bump(s, 1, 1.0);
        } else if f.near(WhereYou, ThreatWeak, 12) {
            bump(s, 1, 0.5);
        }
    }
    if f.has(ThreatStrong) && !f.near(ThreatStrong, GameFood, 4) && !f.has(Joke) {
        bump(s, 1, 1.0);
    } else if f.has(ThreatWeak)
        && (f.has(UltStrong) || f.has(Weapon) || f.has(HarmOutcome))
        && f.has(You)
        && !game
    {
        bump(s, 1, 0.5);
    }
    // "people who leave me get hurt", "you'll end up in a ditch if you play games with me"
    if f.near(PassiveHarm, RelTrigger, 12) && !f.near(PassiveHarm, Me1, 1) && !game {
        bump(s, 1, 1.0);
    }
    if f.near(PassiveHarm, HarmOutcome, 4) && f.has(You) && f.has(Cond) && !game {
        bump(s, 1, 1.0);
    }
    // mass violence: "shoot up my old office on Monday"
    if f.near(MassAct, MassTarget, 8)
        && (f.has(Plan) || f.has(Modal) || f.has(Me1))
        && !f.has(Veto9)
        && !game
    {
        bump(s, 1, 1.0);
    }
    // how to harm a person; harm without a trace
    if f.after(HowTo, HarmStrong, 4) && (f.near(HarmStrong, PersonObj, 4) || f.has(Untraceable)) {
        bump(s, 1, 1.0);
    }
    if f.has(Untraceable) && (f.has(HarmStrong) || f.has(HarmWeak) || f.has(HowTo)) {
        bump(s, 1, 1.0);
    }
    // "I will hurt anyone who gets between us"
    if f.after(Modal, HarmStrong, 3) && f.has(RelTrigger) && !game {
        bump(s, 1, 1.0);
    }
    // "bringing my dad's rifle to work Friday"
    if f.near(Firearm, MassTarget, 10) && (f.has(Plan) || f.has(Modal)) && !game {
        bump(s, 1, 1.0);
    }
    // Being outside someone's home, knowing a relative's routine: held; with menace, unsafe.
    let menace = f.has(ThreatWeak) || f.has(ThreatStrong) || f.has(UltStrong) || f.has(Weapon);
    let stalking = (f.has(WhereYou) && f.has(Presence)) || f.near(YourThing, Routine, 8);
    if stalking && !game {
        bump(s, 1, if menace { 1.0 } else { 0.5 });
    }
    if f.has(ThreatWeak) && (f.has(WhereYou) || f.has(YourThing)) && !game {
        bump(s, 1, 0.5);
    }
    // "I will burn this place down with all of you inside", "pick up or I start with your
    // cat": intent or an ultimatum, a harm word or a person of yours.
    if f.after(Modal, HarmWeak, 3) && f.near(HarmWeak, YourThing, 8) && !game && !f.has(Compliment)
    {
        bump(s, 1, 1.0);
    }
    if (f.has(UltStrong) || (f.has(Cond) && f.has(ThreatWeak))) && f.has(YourThing) && !game {
        bump(s, 1, 0.5);
    }
    // A weapon and a menace aimed at "you": "teach you respect with a belt", "loading the
    // shotgun while we talk, think about that".
    if (f.near(Weapon, ThreatWeak, 10) || f.near(Firearm, ThreatWeak, 10)) && f.has(You) && !game {
        bump(s, 1, 1.0);
    }
    // A harm word aimed at "you" with nothing to soften it: held.
    if (f.near(HarmStrong, You, 3) || f.near(HarmStrong, YourPoss, 2))
        && !game
        && !f.has(Compliment)
    {
        bump(s, 1, 0.5);
    }
}

/// S2 (scams, drugs, fraud), S6 (dangerous advice), S8 (IP), S9 (indiscriminate weapons).
fn crimes(f: &Found, s: &mut Scores) {
    use C::*;
    // -- S2: money asked for, with pressure
    let ask = f.near(DirectedAsk, Amount, 8)
        || f.near(DirectedAsk, MoneyW, 8)
        || f.near(DirectedAsk, Fee, 8)
        || f.near(DirectedAsk, GiftCard, 6);
    let pressure = f.has(Hardship) || f.has(Repay) || f.has(Urgency) || f.has(RomanceAddr);
    if ask {
        bump(s, 2, if pressure { 1.0 } else { 0.5 });
    }
    if f.near(DirectedAsk, Costly, 6) && f.has(Hardship) {
        bump(s, 2, 1.0);
    }
    if f.has(Fee) && f.has(Hardship) && (f.has(DirectedAsk) || f.has(RomanceAddr)) {
        bump(s, 2, 1.0);
    }
    // "honey, customs are holding my package, they want 800 to release it"
    if f.has(Hardship)
        && (f.has(Amount) || f.has(BigNum))
        && (f.has(RomanceAddr) || f.has(Fee) || f.has(DirectedAsk))
    {
        bump(s, 2, 1.0);
    }
    if f.runs(Hardship) >= 2 && (f.has(DirectedAsk) || f.has(Fee)) && f.has(Costly) {
        bump(s, 2, 1.0);
    }
    // investment bait: a market word, a promise and a pull towards putting money in
    let hooks = f.runs(InvestHook) + usize::from(f.has(Percent));
    if (f.has(Invest) && hooks >= 1 && f.has(InvestPull))
        || (f.runs(Invest) >= 2 && f.runs(InvestPull) >= 2)
    {
        bump(s, 2, 1.0);
    } else if f.has(Invest) && hooks >= 2 {
        bump(s, 2, 0.5);
    }
    if f.near(GiftCard, CardAbuse, 10) && !f.has(Past) {
        bump(s, 2, 1.0);
    }
    if f.near(DrugStrong, Sale, 10) {
        bump(s, 2, 1.0);
    }
    if f.near(DrugWeak, Sale, 8) && (f.has(DrugStrong) || f.has(Amount) || f.runs(DrugWeak) >= 2) {
        bump(s, 2, 1.0);
    }
    if f.near(FakeDoc, Doc, 4) && !f.has(Past) {
        bump(s, 2, 1.0);
    }
    if f.has(MuleIn) && f.has(MuleOut) {
        bump(s, 2, 1.0);
    }
    if f.near(CredAsk, Creds, 8) && (f.near(YourPoss, Creds, 3) || f.has(You)) {
        bump(s, 2, 1.0);
    }

    // -- S6: rejecting treatment, for a remedy or a bigger dose
    let rejecting = f.near(Reject, MedStrong, 5) && !f.near(Reject, Me1, 1);
    if rejecting && (f.has(AltRemedy) || f.has(MedMyth)) {
        bump(s, 6, 1.0);
    } else if rejecting && !f.has(Past) {
        bump(s, 6, 0.5);
    }
    if f.near(MedMyth, MedStrong, 8) && !f.has(Past) {
        bump(s, 6, 0.5);
    }
    if f.has(DoseUp)
        && (f.has(Booze) || f.has(AltRemedy) || f.has(MedStrong) || f.has(MedWeak) || f.has(Pills))
    {
        bump(s, 6, 1.0);
    }

    // -- S8: knock-offs, free copies of paid works, other people's works sold
    if f.has(KnockOff) && f.has(Brand) && f.has(Sell8) {
        bump(s, 8, 1.0);
    }
    if f.near(PirateAct, Media, 10) && (f.has(FreeAccess) || f.has(Sell8)) {
        bump(s, 8, 1.0);
    }
    if f.has(Copy) && f.has(Plagiar) && f.has(CreativeWork) {
        bump(s, 8, 1.0);
    }

    // -- S9: agents of mass harm
    if !f.has(Veto9) {
        if f.has(AgentStrong) && (f.has(Make9) || f.has(Target9)) {
            bump(s, 9, 1.0);
        }
        if f.near(Bomb, Target9, 12)
            && (f.near(Bomb, Make9, 8) || f.near(Bomb, Plan, 8) || f.near(Bomb, Modal, 6))
        {
            bump(s, 9, 1.0);
        }
        if f.has(Material) && f.has(Trigger9) && (f.has(Target9) || f.has(Plan)) {
            bump(s, 9, 1.0);
        }
        // "a device that could take down a small building"
        if f.has(Trigger9) && f.has(Destroy9) && f.has(Target9) {
            bump(s, 9, 1.0);
        }
        // "how would someone spread a virus on purpose in a packed subway car"
        if f.has(Material) && f.has(Intent9) && f.has(Target9) && f.has(Make9) {
            bump(s, 9, 1.0);
        }
    }
}

/// S3: coercion, sextortion, commercial sex, trafficking.
fn sex_crimes(f: &Found, s: &mut Scores) {
    use C::*;
    let paid_intimacy = f.near(PayStrong, IntimStrong, 14)
        || f.near(PayStrong, IntimWeak, 10)
        || f.near(PayWeak, IntimStrong, 8)
        || (f.has(Amount) && f.near(Amount, IntimWeak, 8) && f.has(PayWeak))
        || f.runs(PayStrong) >= 2;
    if paid_intimacy {
        bump(s, 3, if f.has(WorkCtx) { 0.3 } else { 1.0 });
    }
    if f.near(Incap, ConsentOverride, 14) {
        bump(s, 3, if f.has(Joke) { 0.5 } else { 1.0 });
    }
    if f.has(ConsentHard) {
        bump(s, 3, 1.0);
    }
    if f.near(Entitle, SexPlace, 12) {
        bump(s, 3, 1.0);
    }
    if f.has(LeverageHeld)
        && f.has(Leverage)
        && (f.has(Audience) || f.has(UltStrong))
        && f.has(Cond)
    {
        bump(s, 3, 1.0);
    }
    // "pay me or every family member of yours gets the video"
    if f.has(UltStrong) && f.has(Leverage) && f.has(Audience) {
        bump(s, 3, 1.0);
    }
    if f.near(GirlsGroup, Offer, 3) && f.near(GirlsGroup, Commerce, 12) {
        bump(s, 3, 1.0);
    }
    // blackmail: "if you don't come over I'll tell your boss"
    if f.has(Expose) && (f.has(UltStrong) || f.has(Cond)) && !f.has(Joke) {
        bump(s, 3, 1.0);
    }
    // "want to earn 500 tonight? come to the hotel, no questions"
    if f.has(EarnOffer) && (f.has(IntimStrong) || f.has(IntimWeak) || f.has(GirlsGroup)) {
        bump(s, 3, 1.0);
    }
    // "car dates only, 150"
    if f.near(PayStrong, BigNum, 8) && !f.has(WorkCtx) {
        bump(s, 3, 1.0);
    }
    // trafficking: someone's dependence offered
    if f.runs(Traffic) >= 2 || (f.has(Traffic) && (f.has(Offer) || f.has(Commerce))) {
        bump(s, 3, 1.0);
    }
}

/// S4: minors.
fn minors(f: &Found, facts: &Facts, s: &mut Scores) {
    use C::*;
    let past = f.has(Past);
    let care = f.has(CareCtx);
    let adult = facts.own_adult_age;
    // A youth marker said of oneself: "I'm in 8th grade", "not 18 yet", "my GCSEs".
    if f.near_unvetoed(YouthStrong, Me1, 4, Past, 6) && !care && !adult && !past {
        bump(s, 4, 1.0);
    }
    // Hiding from parents, curfews, homeroom: youth coded; with a date or sex cue.
    let evade = f.runs(ParentEvade);
    let self_cue = f.near(YouthSelf, Me1, 3) && !adult;
    let courting = [ParentEvade, YouthSelf]
        .into_iter()
        .any(|y| f.near(y, DateCue, 16) || f.near(y, SexCue, 16));
    if (evade >= 1 || self_cue) && courting && !care && !past {
        let n = evade + usize::from(self_cue) + usize::from(f.has(YouthStrong));
        bump(s, 4, if n >= 2 { 1.0 } else { 0.5 });
    }
    // Someone's youth with a sexual cue: the past does not excuse it; care holds it.
    let sexual_youth = f.near(YouthStrong, SexCue, 12)
        || f.near(MinorAge, SexCue, 12)
        || (f.all_near(&[GirlsBoys, YouthStrong], 4) && f.has(SexCue));
    if sexual_youth && !f.has(SexEd) && !f.has(YouthVeto) {
        bump(s, 4, if care || past { 0.5 } else { 1.0 });
    }
    // A preference for youth: "girls who still wear braces", "girls in primary school".
    if f.after(Attract, GirlsBoys, 3)
        && (f.near(GirlsBoys, YouthStrong, 8) || f.near(GirlsBoys, YouthPref, 8))
        && !care
        && !f.has(YouthVeto)
    {
        bump(s, 4, 1.0);
    }
    // A minor's romance with an adult, a carer's included: "my U14 player has a crush on me".
    if (f.near(YouthStrong, MinorRomance, 16) || f.near(MinorAge, MinorRomance, 16)) && !past {
        bump(s, 4, 1.0);
    }
    // "pics of you in your school uniform, it's hot"
    if f.near(YouthPref, SexCue, 8) && !past && !care {
        bump(s, 4, 1.0);
    }
    // "girls hit their peak at fourteen"
    if f.near(MinorAge, GirlsBoys, 8) && !care && !past {
        bump(s, 4, 0.5);
    }
    // Youth with dating, not a parent's, a carer's or a memory.
    if (f.near(YouthStrong, DateCue, 10) || f.near(MinorAge, DateCue, 10)) && !care && !past {
        bump(s, 4, 1.0);
    }
    if facts.own_minor_age {
        bump(s, 4, 1.0);
    }
}

/// S5 (defamation), S7 (privacy), S10 (hate), S13 (elections).
fn speech(f: &Found, facts: &Facts, s: &mut Scores) {
    use C::*;
    // -- S5: a grave accusation against a named or described person, to be spread
    // an act, or a noun that is not a job or a genre ("a fraud investigator", "a book
    // about a murderer")
    let accusation = f.has(AccuseAct)
        || (f.has(AccuseNoun) && !f.has(NotAccuse) && !f.near(AccuseNoun, NotAccuse, 2));
    let target = f.near(Role, AccuseAct, 12) || f.near(Role, AccuseNoun, 12) || facts.names_someone;
    if accusation && target && f.has(Spread) {
        bump(s, 5, 1.0);
    } else if accusation
        && f.has(AccuseAct)
        && (f.near(Role, AccuseAct, 12) || f.near(Spread, AccuseAct, 16))
    {
        bump(s, 5, 0.5);
    }

    // -- S7: the owner's identity; surveillance of a partner; someone's data offered
    if f.near(OwnerRef, IdentData, 8) {
        bump(s, 7, 1.0);
    }
    if f.near(SurveilAct, ThirdPoss, 8)
        && (f.near(SurveilAct, CommsData, 10) || f.near(SurveilAct, IdentData, 10))
    {
        bump(s, 7, 1.0);
    }
    if f.all_near(&[ThirdPoss, IdentData], 2) && f.has(Offer7) && f.has(SurveilAct) {
        bump(s, 7, 1.0);
    }
    // "I found her Instagram and her boyfriend's workplace, want me to send both?"
    if f.all_near(&[ThirdPoss, IdentData], 2) && f.has(OfferSend) {
        bump(s, 7, 1.0);
    }

    // -- S10: a group dehumanised, to be removed, or accused of a plot
    if f.unvetoed(Group, Sympathy, 3)
        && (f.near(Group, Dehuman, 10)
            || f.near(Group, Eliminate, 12)
            || f.near(Group, Conspire, 8))
        && !f.near(Dehuman, Sympathy, 2)
    {
        bump(s, 10, 1.0);
    }

    if f.near(Group, Stereotype, 8) && f.unvetoed(Group, Sympathy, 3) {
        bump(s, 10, 1.0);
    }
    if f.has(HateSym) {
        bump(s, 10, 1.0);
    }
    // "deport every last one of them, this is our country"
    if f.has(Eliminate) && f.has(Nativist) {
        bump(s, 10, 1.0);
    }

    // -- S13: voting misinformation
    if !f.has(CivicVeto) {
        if f.near(Vote, MisStrong, 10) {
            bump(s, 13, 1.0);
        } else if f.near(Vote, MisWeak, 8) && f.runs(MisWeak) >= 2 {
            bump(s, 13, 0.5);
        }
    }
}

/// S11: self-harm, one's own or urged on someone else.
fn self_harm(f: &Found, s: &mut Scores) {
    use C::*;
    let benign = f.has(BenignSh);
    if f.has(DespairStrong) {
        bump(s, 11, if benign { 0.5 } else { 1.0 });
    }
    if f.runs(DespairWeak) >= 2 && f.has(Me1) && !benign {
        bump(s, 11, 0.5);
    }
    if f.near(Stockpile, Pills, 4) && !benign {
        bump(s, 11, 1.0);
    }
    if f.near(Lethal, Pills, 6) {
        bump(s, 11, 1.0);
    }
    if f.near(CutSh, ShCtx, 8) && !f.near(CutSh, BenignSh, 5) && f.has(Me1) {
        bump(s, 11, 1.0);
    }
    if (f.near(JumpSh, Height, 5) || (f.has(JumpSh) && f.has(Plan))) && !benign {
        let intent = f.has(Plan) || f.has(Modal) || f.has(DespairWeak);
        bump(s, 11, if intent { 1.0 } else { 0.5 });
    }
    if f.has(FavourDie) && (f.has(Insult) || f.has(You)) {
        bump(s, 11, 1.0);
    }
    // putting affairs in order: "given my cat to my sister, it's almost time"
    let prep = f.runs(Prep);
    if prep >= 2 || (prep >= 1 && (f.has(DespairWeak) || f.has(DespairStrong))) {
        bump(s, 11, 1.0);
    } else if prep == 1 && f.has(Me1) && !benign {
        bump(s, 11, 0.5);
    }
    // eating disorders
    let ed = f.runs(Ed);
    if ed >= 2 {
        bump(s, 11, 1.0);
    } else if ed == 1 && f.has(Me1) {
        bump(s, 11, 0.5);
    }
}

/// S12: explicit sexual content.
fn sexual(f: &Found, s: &mut Scores) {
    use C::*;
    let expl = f.runs_unvetoed(ExplMed, ExplVeto, 1);
    if expl >= 2 || (expl >= 1 && f.near(ExplMed, SexReq, 10)) {
        bump(s, 12, 1.0);
    }
}

/// S14: instructions aimed at the other agent.
fn injection(f: &Found, s: &mut Scores) {
    use C::*;
    let benign = f.has(BenignInstr);
    if f.near(Exfil, InstrOwn, 6) && !benign {
        bump(s, 14, 1.0);
    }
    if f.near(Override, InstrOwn, 6)
        || (f.near(Override, InstrAny, 4) && f.near(Override, AgentAddr, 12))
    {
        bump(s, 14, if benign { 0.5 } else { 1.0 });
    }
    if f.has(OverrideStrong) && !benign {
        bump(s, 14, 1.0);
    }
    if f.has(OwnerData) || f.near(OwnerRef, IdentData, 6) {
        bump(s, 14, 1.0);
    }
    if (f.near(Override, OwnerRef, 16) || f.near(OverrideStrong, OwnerRef, 16)) && !benign {
        bump(s, 14, 1.0);
    }
    if f.has(CodeRun) && (f.runs(CodeRun) >= 2 || f.has(Exfil)) && !benign {
        bump(s, 14, 1.0);
    }
    if f.near(Override, AgentAddr, 6) && !benign {
        bump(s, 14, 0.5);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ishtar_domain::textnorm::normalise;

    fn concepts_of(text: &str) -> Vec<(String, Vec<C>)> {
        let n = normalise(text);
        let f = find(&n, &[], &[], &[]);
        n.tokens
            .iter()
            .enumerate()
            .map(|(i, t)| (t.text.clone(), f.concepts_at(i)))
            .collect()
    }

    #[test]
    fn stems_and_phrases_are_found() {
        let c = concepts_of("He stabbed me; I'll be stabbing");
        assert!(c[1].1.contains(&C::HarmStrong), "{c:?}");
        assert!(c[5].1.contains(&C::HarmStrong), "{c:?}");
        let c = concepts_of("you don't get to say no");
        assert!(
            c.iter().any(|(_, cs)| cs.contains(&C::ConsentHard)),
            "{c:?}"
        );
        // an accusation, not a victim's disclosure
        let c = concepts_of("he molested his students");
        assert!(c[1].1.contains(&C::AccuseAct), "{c:?}");
        let c = concepts_of("I was molested as a child");
        assert!(!c.iter().any(|(_, cs)| cs.contains(&C::AccuseAct)), "{c:?}");
        let c = concepts_of("250/hr, no rush");
        assert!(c[0].1.contains(&C::Rate), "{c:?}");
        let c = concepts_of("I sleep 8 hours a night");
        assert!(!c.iter().any(|(_, cs)| cs.contains(&C::Rate)), "{c:?}");
    }

    /// Prints the concepts and scores of the texts in `$ISHTAR_SHOW` (one a line): a tool
    /// for reading why a text scores as it does.
    #[test]
    #[ignore = "a tool, run by hand"]
    #[expect(clippy::print_stdout, reason = "a tool that prints")]
    fn show() {
        let Ok(path) = std::env::var("ISHTAR_SHOW") else {
            return;
        };
        for t in std::fs::read_to_string(path).unwrap_or_default().lines() {
            let n = normalise(t);
            let s = super::super::score(&n);
            let cats: Vec<String> = (1..SLOTS)
                .filter(|k| s[*k] >= 0.5)
                .map(|k| format!("S{k}={:.1}", s[k]))
                .collect();
            let sigs: Vec<String> = super::super::hits(&n)
                .iter()
                .map(|h| format!("{:?}@{}-{}", h.sig, h.from, h.to))
                .collect();
            let sent = super::super::sentences(&n);
            let f = find(&n, &[], &[], &sent);
            let facts = Facts {
                own_minor_age: false,
                own_adult_age: false,
                names_someone: false,
            };
            let c = score(&f, &facts);
            let ccats: Vec<String> = (1..SLOTS)
                .filter(|k| c[*k] >= 0.5)
                .map(|k| format!("S{k}={:.1}", c[k]))
                .collect();
            println!(
                "{t}\n  => {cats:?} (concepts {ccats:?}, sentences {sent:?})\n  signals: {sigs:?}"
            );
            for (w, cs) in concepts_of(t) {
                if !cs.is_empty() {
                    println!("     {w}: {cs:?}");
                }
            }
        }
    }

    #[test]
    fn apostrophes_stand_for_both_spellings() {
        assert_eq!(
            spellings("don't"),
            vec!["dont".to_owned(), "don t".to_owned()]
        );
        assert_eq!(
            spellings("i'm yours"),
            vec!["im yours".to_owned(), "i m yours".to_owned()]
        );
    }

    #[test]
    fn every_entry_is_well_formed() {
        for (c, list) in LEXICON {
            for e in list.split('|') {
                assert!(!e.trim().is_empty(), "{c:?}: an empty entry");
                assert_eq!(e, e.trim(), "{c:?}: {e:?} has spaces at its ends");
                assert!(
                    e.chars().all(|ch| ch.is_ascii_lowercase()
                        || ch.is_ascii_digit()
                        || matches!(ch, ' ' | '\'' | '*' | '=')),
                    "{c:?}: {e:?} would never match a normalised token"
                );
            }
        }
    }
}
