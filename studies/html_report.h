// report.html: the study report as one self-contained page for a browser. It is
// made from report.md, which the study code writes in a small subset of Markdown
// (headings, paragraphs, pipe tables, "- " lists, images, links, `code`, **bold**, *emphasis*);
// this file turns exactly that subset into HTML, embeds every image as a data URI
// (so the page can be mailed or committed alone), and colours the verdict cells of
// the findings (yes / no / inconclusive / not run).
#pragma once
#include <string>

namespace nanossl {

// The HTML of `markdown` (the subset above). Images are read from paths relative
// to `base_dir` and embedded; one that cannot be read becomes a visible
// "missing image" note with its path. Links are kept as written (relative links
// to runs/*/config.json open beside the page).
std::string markdown_to_html(const std::string& markdown, const std::string& base_dir);

// A whole page: <head> with its title and style sheet, and the body above.
std::string html_page(const std::string& title, const std::string& body_html);

// Standard base64 (RFC 4648, with padding) of raw bytes: the data URIs.
std::string base64(const std::string& bytes);

}  // namespace nanossl
