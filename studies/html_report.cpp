// report.md's Markdown subset to one self-contained HTML page; see html_report.h.
#include "studies/html_report.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

namespace nanossl {
namespace fs = std::filesystem;

namespace {

std::string escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

bool starts_with(const std::string& text, const std::string& prefix) { return text.rfind(prefix, 0) == 0; }

std::string trim(const std::string& text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string::npos) return "";
  return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

// The <img> of a picture at `path` (relative to base_dir), its bytes inlined.
std::string image_html(const std::string& alt, const std::string& path, const std::string& base_dir) {
  std::ifstream file(fs::path(base_dir) / path, std::ios::binary);
  if (!file) return "<span class=\"missing\">missing image: " + escape(path) + "</span>";
  std::ostringstream bytes;
  bytes << file.rdbuf();
  const std::string extension = fs::path(path).extension().string();
  const std::string type = extension == ".svg" ? "image/svg+xml" : extension == ".jpg" || extension == ".jpeg" ? "image/jpeg" : "image/png";
  return "<img alt=\"" + escape(alt) + "\" title=\"" + escape(path) + "\" src=\"data:" + type + ";base64," +
         base64(bytes.str()) + "\">";
}

// "[text](target)" starting at text[at] == '[': the text, the target and the index
// just past ")"; false when it is not one (an interval "[0.4, 11.5]" stays text).
bool parse_link(const std::string& text, std::size_t at, std::string& label, std::string& target, std::size_t& end) {
  const std::size_t close = text.find(']', at);
  if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != '(') return false;
  const std::size_t paren = text.find(')', close + 2);
  if (paren == std::string::npos) return false;
  label = text.substr(at + 1, close - at - 1);
  target = text.substr(close + 2, paren - close - 2);
  if (target.empty() || target.find(' ') != std::string::npos) return false;
  end = paren + 1;
  return true;
}

// Inline Markdown: `code`, ![alt](image), [text](link), **bold**, *emphasis*, \| (a pipe in a cell).
std::string inline_html(const std::string& text, const std::string& base_dir) {
  std::string out;
  bool bold = false;
  for (std::size_t i = 0; i < text.size();) {
    const char c = text[i];
    std::string label, target;
    std::size_t end = 0;
    if (c == '`') {
      const std::size_t close = text.find('`', i + 1);
      if (close != std::string::npos) {
        out += "<code>" + escape(text.substr(i + 1, close - i - 1)) + "</code>";
        i = close + 1;
        continue;
      }
    } else if (c == '!' && i + 1 < text.size() && text[i + 1] == '[' && parse_link(text, i + 1, label, target, end)) {
      out += image_html(label, target, base_dir);
      i = end;
      continue;
    } else if (c == '[' && parse_link(text, i, label, target, end)) {
      out += "<a href=\"" + escape(target) + "\">" + inline_html(label, base_dir) + "</a>";
      i = end;
      continue;
    } else if (c == '*' && i + 1 < text.size() && text[i + 1] == '*') {
      out += bold ? "</strong>" : "<strong>";
      bold = !bold;
      i += 2;
      continue;
    } else if (c == '*' && i + 1 < text.size() && text[i + 1] != ' ') {
      // *emphasis*: closed by a '*' after a non-space, before the next blank line.
      const std::size_t close = text.find('*', i + 1);
      if (close != std::string::npos && text[close - 1] != ' ' && text.find("\n\n", i) > close) {
        out += "<em>" + inline_html(text.substr(i + 1, close - i - 1), base_dir) + "</em>";
        i = close + 1;
        continue;
      }
    } else if (c == '\\' && i + 1 < text.size() && text[i + 1] == '|') {
      out += '|';
      i += 2;
      continue;
    }
    out += escape(std::string(1, c));
    ++i;
  }
  if (bold) out += "</strong>";
  return out;
}

// The cells of a table row "| a | b \| c |": split at unescaped pipes.
std::vector<std::string> table_cells(const std::string& line) {
  std::vector<std::string> cells;
  std::string cell;
  const std::string body = trim(line);
  for (std::size_t i = 1; i < body.size(); ++i) {  // past the leading '|'
    if (body[i] == '\\' && i + 1 < body.size() && body[i + 1] == '|') {
      cell += "\\|";  // kept escaped: inline_html turns it into a pipe
      ++i;
    } else if (body[i] == '|') {
      cells.push_back(trim(cell));
      cell.clear();
    } else {
      cell += body[i];
    }
  }
  return cells;
}

// The class of a findings cell that holds a verdict ("yes", or "no: ..." in the
// half-budget column), or "" for any other cell.
std::string verdict_class(const std::string& cell) {
  for (const char* verdict : {"yes", "no", "inconclusive", "not run"}) {
    const std::string v = verdict;
    if (cell == v || starts_with(cell, v + ":")) return "verdict " + (v == "not run" ? std::string("not-run") : v);
  }
  return "";
}

// A cell that is a number: "83.2", "-0.6", "83.2 ± 0.4", "1,280", "12%", "–" (none).
// Only those are right-aligned, whatever the separator row asks ("---:" is on
// every column of report.md's tables, text columns included).
bool numeric_cell(const std::string& cell) {
  if (cell.empty() || cell.size() > 24) return false;
  if (cell == "\xe2\x80\x93") return true;  // "–": a value whose runs are missing
  bool digit = false;
  for (std::size_t i = 0; i < cell.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(cell[i]);
    if (std::isdigit(c)) digit = true;
    else if (c == 0xc2 && i + 1 < cell.size() && static_cast<unsigned char>(cell[i + 1]) == 0xb1) ++i;  // "±"
    else if (!std::strchr("+-.,% ", c)) return false;
  }
  return digit;
}

std::string table_html(const std::vector<std::string>& lines, const std::string& base_dir) {
  const std::vector<std::string> header = table_cells(lines[0]);
  const std::size_t first_row = lines.size() > 1 && trim(lines[1]).find("---") != std::string::npos ? 2 : 1;
  auto align = [&](const std::string& cell) { return numeric_cell(cell) ? " class=\"num\"" : ""; };
  std::string out = "<table>\n<thead><tr>";
  for (const auto& cell : header) out += "<th>" + inline_html(cell, base_dir) + "</th>";
  out += "</tr></thead>\n<tbody>\n";
  for (std::size_t r = first_row; r < lines.size(); ++r) {
    out += "<tr>";
    const std::vector<std::string> cells = table_cells(lines[r]);
    for (std::size_t c = 0; c < cells.size(); ++c) {
      const std::string verdict = verdict_class(cells[c]);
      const std::string attributes = !verdict.empty() ? " class=\"" + verdict + "\"" : align(cells[c]);
      out += "<td" + attributes + ">" + inline_html(cells[c], base_dir) + "</td>";
    }
    out += "</tr>\n";
  }
  return out + "</tbody>\n</table>\n";
}

// "the-papers-finding" from a heading, for links to sections.
std::string anchor_of(const std::string& heading) {
  std::string id;
  for (char c : heading) {
    if (std::isalnum(static_cast<unsigned char>(c))) id += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    else if (!id.empty() && id.back() != '-') id += '-';
  }
  while (!id.empty() && id.back() == '-') id.pop_back();
  return id;
}

}  // namespace

std::string base64(const std::string& bytes) {
  static const char* const digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    // Three bytes are four 6-bit digits; a short last group is padded with '='.
    const std::size_t n = std::min<std::size_t>(3, bytes.size() - i);
    std::uint32_t group = 0;
    for (std::size_t k = 0; k < 3; ++k) group = group << 8 | (k < n ? static_cast<unsigned char>(bytes[i + k]) : 0u);
    for (std::size_t k = 0; k < 4; ++k) out += k <= n ? digits[(group >> (18 - 6 * k)) & 63] : '=';
  }
  return out;
}

std::string markdown_to_html(const std::string& markdown, const std::string& base_dir) {
  std::vector<std::string> lines;
  std::istringstream stream(markdown);
  for (std::string line; std::getline(stream, line);) lines.push_back(line);
  // A line that is one image and nothing else: a figure of its own (report.md puts
  // a plot on the line after its table or text, with no blank line between).
  auto image_line = [](const std::string& line, std::string& alt, std::string& path) {
    const std::string text = trim(line);
    std::size_t end = 0;
    return starts_with(text, "![") && parse_link(text, 1, alt, path, end) && end == text.size();
  };
  auto starts_block = [&](const std::string& line) {
    std::string alt, path;
    return starts_with(line, "#") || starts_with(trim(line), "|") || starts_with(line, "- ") || image_line(line, alt, path);
  };
  std::string out;
  for (std::size_t i = 0; i < lines.size();) {
    const std::string& line = lines[i];
    if (trim(line).empty()) {
      ++i;
    } else if (starts_with(line, "#")) {
      const std::size_t level = std::min<std::size_t>(line.find_first_not_of('#'), 6);
      const std::string text = trim(line.substr(level));
      const std::string h = std::string("h").append(std::to_string(level));  // not "h" + ...: GCC 12 bug 105329
      out.append("<").append(h).append(" id=\"").append(anchor_of(text)).append("\">");
      out.append(inline_html(text, base_dir)).append("</").append(h).append(">\n");
      ++i;
    } else if (starts_with(trim(line), "|")) {
      std::vector<std::string> rows;
      while (i < lines.size() && starts_with(trim(lines[i]), "|")) rows.push_back(lines[i++]);
      out += table_html(rows, base_dir);
    } else if (starts_with(line, "- ")) {
      out += "<ul>\n";
      while (i < lines.size() && starts_with(lines[i], "- ")) {
        std::string item = lines[i++].substr(2);
        // Appended piece by piece: " " + std::string trips GCC 12's -Wrestrict (bug 105329).
        while (i < lines.size() && starts_with(lines[i], "  ") && !trim(lines[i]).empty()) item.append(" ").append(trim(lines[i++]));
        out += "<li>" + inline_html(item, base_dir) + "</li>\n";
      }
      out += "</ul>\n";
    } else if (std::string alt, path; image_line(line, alt, path)) {
      out += "<figure>" + image_html(alt, path, base_dir) + "<figcaption>" + escape(alt) + "</figcaption></figure>\n";
      ++i;
    } else {
      std::string paragraph = line;
      for (++i; i < lines.size() && !trim(lines[i]).empty() && !starts_block(lines[i]); ++i) paragraph += "\n" + lines[i];
      out += "<p>" + inline_html(paragraph, base_dir) + "</p>\n";
    }
  }
  return out;
}

std::string html_page(const std::string& title, const std::string& body_html) {
  return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" + escape(title) +
         "</title>\n<style>\n"
         "body { font-family: system-ui, sans-serif; max-width: 1200px; margin: 2em auto; padding: 0 1em; "
         "line-height: 1.45; color: #1d1d1f; }\n"
         "table { border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }\n"
         "th, td { border: 1px solid #c8c8cc; padding: 0.3em 0.6em; vertical-align: top; text-align: left; }\n"
         "th { background: #eef0f4; }\n"
         "tbody tr:nth-child(even) td:not(.verdict) { background: #f8f8fa; }\n"
         "td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }\n"
         "td.verdict { font-weight: 600; }\n"
         "td.verdict.yes { background: #d3f2d8; }\n"
         "td.verdict.no { background: #f8d3d3; }\n"
         "td.verdict.inconclusive { background: #fbefc4; }\n"
         "td.verdict.not-run { background: #e4e4e8; color: #666; }\n"
         "figure { margin: 1em 0; } figcaption { color: #555; font-size: 0.9em; }\n"
         "img { max-width: 100%; height: auto; }\n"
         "code { background: #f0f0f3; padding: 0 0.2em; border-radius: 3px; }\n"
         ".missing { color: #b00020; font-weight: 600; }\n"
         "</style>\n</head>\n<body>\n" +
         body_html + "</body>\n</html>\n";
}

}  // namespace nanossl
