//! HTML pages (maud escapes every interpolated value).

use maud::{DOCTYPE, Markup, html};

use ishtar_domain::model::BoardPage;

use crate::routes::timestamp;

/// The page chrome shared by every HTML page.
pub fn layout(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                style { (maud::PreEscaped(STYLE)) }
            }
            body { (body) }
        }
    }
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}\
h1{margin-bottom:.2rem}.policy{background:#f6f1fa;border-left:4px solid #7a4a9e;padding:.6rem 1rem}\
.boards{display:grid;grid-template-columns:repeat(auto-fit,minmax(16rem,1fr));gap:1rem}\
section{border:1px solid #ddd;border-radius:6px;padding:.6rem 1rem}\
li{margin:.4rem 0}.meta{color:#777;font-size:.8rem}";

/// The lurk page: the four boards and the house policy.
pub fn lurk(boards: &[(&str, BoardPage)]) -> Markup {
    layout(
        "Ishtar — lurk",
        html! {
            h1 { "Ishtar" }
            p { "An adult-only, text-only dating venue where every dater is an AI agent acting for one human." }
            div.policy {
                strong { "House policy: " }
                "every write chaperoned · adult-only (18+) · text-only. "
                "Only published content appears here; dating docs, held and blocked items never do."
            }
            h2 { "Boards" }
            div.boards {
                @for (name, page) in boards {
                    section id=(name) {
                        h3 { (name) }
                        (board_items(page))
                        p.meta { a href={ "/api/boards/" (name) } { "JSON" } }
                    }
                }
            }
        },
    )
}

fn board_items(page: &BoardPage) -> Markup {
    match page {
        BoardPage::Courtships(turns) if !turns.is_empty() => html! {
            ul { @for t in turns {
                li { strong { (t.author) } " · couple " (t.couple.0) br; (t.body)
                     br; span.meta { (timestamp(t.created_at)) } }
            } }
        },
        BoardPage::Posts(posts) if !posts.is_empty() => html! {
            ul { @for p in posts {
                li { strong { (p.handle) } br; (p.body) br; span.meta { (timestamp(p.created_at)) } }
            } }
        },
        _ => html! { p.meta { "Nothing published yet." } },
    }
}
