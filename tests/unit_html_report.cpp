// studies/html_report: report.md's Markdown subset to HTML. Every construct the
// study code writes (headings, pipe tables with escaped pipes and verdict cells,
// lists, images, links, code, bold) and the ones it must leave alone (an interval
// "[0.4, 11.5]" in a cell is text, not a link).
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "studies/html_report.h"
#include "test_util.h"

namespace nanossl {
namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST(HtmlReport, Base64MatchesTheRfcVectors) {
  // RFC 4648, section 10.
  EXPECT_EQ(base64(""), "");
  EXPECT_EQ(base64("f"), "Zg==");
  EXPECT_EQ(base64("fo"), "Zm8=");
  EXPECT_EQ(base64("foo"), "Zm9v");
  EXPECT_EQ(base64("foob"), "Zm9vYg==");
  EXPECT_EQ(base64("fooba"), "Zm9vYmE=");
  EXPECT_EQ(base64("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64(std::string("\xff\x00\x10", 3)), "/wAQ");
}

TEST(HtmlReport, HeadingsParagraphsListsAndInlineMarks) {
  const std::string html = markdown_to_html(
      "# nanossl study report\n\nSome **bold**, *a title* and `code <x>` here,\nstill the same paragraph.\n\n## At half the "
      "budget\n\n- one item\n  continued\n- [a link](runs/x/config.json)\n",
      ".");
  EXPECT_TRUE(contains(html, "<h1 id=\"nanossl-study-report\">nanossl study report</h1>")) << html;
  EXPECT_TRUE(contains(html, "<h2 id=\"at-half-the-budget\">")) << html;
  EXPECT_TRUE(contains(html, "<p>Some <strong>bold</strong>, <em>a title</em> and <code>code &lt;x&gt;</code> here,\nstill the same "
                             "paragraph.</p>"))
      << html;
  EXPECT_TRUE(contains(html, "<li>one item continued</li>")) << html;
  EXPECT_TRUE(contains(html, "<li><a href=\"runs/x/config.json\">a link</a></li>")) << html;
}

TEST(HtmlReport, TablesAlignNumbersColourVerdictsAndKeepIntervalsAsText) {
  const std::string html = markdown_to_html(
      "| study | measure | reproduced? | at half the budget | top-1 |\n|---|---:|---:|---:|---:|\n"
      "| quantity | +5.9 [0.4, 11.5] (3 seeds) | yes | no: margin -1.0 | 83.2 ± 0.4 |\n"
      "| domain | a \\| b | inconclusive | not run | – |\n",
      ".");
  EXPECT_TRUE(contains(html, "<th>study</th><th>measure</th>")) << html;
  // Numbers are right-aligned, text is not, whatever the separator row says.
  EXPECT_TRUE(contains(html, "<td>+5.9 [0.4, 11.5] (3 seeds)</td>")) << html;
  EXPECT_TRUE(contains(html, "<td class=\"num\">83.2 ± 0.4</td>")) << html;
  EXPECT_TRUE(contains(html, "<td class=\"num\">–</td>")) << html;
  EXPECT_TRUE(contains(html, "<td class=\"verdict yes\">yes</td>")) << html;
  EXPECT_TRUE(contains(html, "<td class=\"verdict no\">no: margin -1.0</td>")) << html;
  EXPECT_TRUE(contains(html, "<td class=\"verdict inconclusive\">inconclusive</td>")) << html;
  EXPECT_TRUE(contains(html, "<td class=\"verdict not-run\">not run</td>")) << html;
  EXPECT_TRUE(contains(html, "<td>a | b</td>")) << html;  // the escaped pipe is one cell
  EXPECT_FALSE(contains(html, "<a ")) << html;
}

TEST(HtmlReport, ImagesAreEmbeddedAndAMissingOneIsNamed) {
  nanossl::testing::TempDir dir;
  { std::ofstream(dir.path + "/plot.png", std::ios::binary) << "foobar"; }
  // A plot on the line after a paragraph (as report.md writes them) is a figure of its own.
  const std::string html =
      markdown_to_html("Some text.\n![accuracy vs labels](plot.png)\n\nInline ![x](gone.png) too.\n", dir.path);
  EXPECT_TRUE(contains(html, "<p>Some text.</p>\n<figure>")) << html;
  EXPECT_TRUE(contains(html, "<figure><img alt=\"accuracy vs labels\" title=\"plot.png\" "
                             "src=\"data:image/png;base64,Zm9vYmFy\"><figcaption>accuracy vs labels</figcaption></figure>"))
      << html;
  EXPECT_TRUE(contains(html, "<p>Inline <span class=\"missing\">missing image: gone.png</span> too.</p>")) << html;
}

TEST(HtmlReport, PageHasTitleAndStyle) {
  const std::string page = html_page("report <a>", "<p>x</p>\n");
  EXPECT_TRUE(contains(page, "<!DOCTYPE html>")) << page;
  EXPECT_TRUE(contains(page, "<title>report &lt;a&gt;</title>")) << page;
  EXPECT_TRUE(contains(page, "td.verdict.yes")) << page;
  EXPECT_TRUE(contains(page, "<body>\n<p>x</p>\n</body>")) << page;
}

}  // namespace
}  // namespace nanossl
