// Tables, findings and gnuplot plots for the study reports; see report.h.
#include "studies/report.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <stdexcept>

#include "base/file_write.h"

namespace nanossl {
namespace {

// Built in memory, then written atomically (base/file_write.h): a full disk stops
// the report with the file and the reason, and never leaves half a table or plot.
void write_report_file(const std::string& path, const std::ostringstream& text) {
  write_file_atomically(path, text.str(), "[report]");
}

std::string csv_cell(const std::string& cell) {
  if (cell.find_first_of(",\"\n") == std::string::npos) return cell;
  std::string quoted = "\"";
  for (char c : cell) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

// gnuplot string literal: single quotes, a single quote doubled.
std::string gp_text(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) quoted += c == '\'' ? std::string("''") : std::string(1, c);
  return quoted + "'";
}

std::string stem_of(const std::string& png) {
  return png.size() > 4 && png.compare(png.size() - 4, 4, ".png") == 0 ? png.substr(0, png.size() - 4) : png;
}

bool g_plots_off = false;  // see PlotsOff

bool run_gnuplot(const std::string& script) {
  if (g_plots_off) return false;
  const std::string command = "gnuplot '" + script + "' 2>'" + script + ".log'";
  if (std::system(command.c_str()) != 0) {
    std::fprintf(stderr, "[report] gnuplot failed or is missing (apt-get install gnuplot-nox); see %s.log\n",
                 script.c_str());
    return false;
  }
  return true;
}

// noenhanced: names such as salt_pepper are text, not subscripts.
const char* kTerminal = "set terminal pngcairo noenhanced size 900,600 font 'DejaVu Sans,11'\n";

}  // namespace

PlotsOff::PlotsOff() : was_(g_plots_off) { g_plots_off = true; }
PlotsOff::~PlotsOff() { g_plots_off = was_; }

double Stat::mean_or_nan() const { return empty() ? std::nan("") : mean; }

Stat stat_of(const BySeed& values) { return stat_of(values_of(values)); }

Stat stat_of(const std::vector<double>& values) {
  Stat stat;
  stat.count = static_cast<int>(values.size());
  if (values.empty()) return stat;
  for (double v : values) stat.mean += v;
  stat.mean /= static_cast<double>(values.size());
  if (values.size() > 1) {
    double squares = 0.0;
    for (double v : values) squares += (v - stat.mean) * (v - stat.mean);
    stat.std = std::sqrt(squares / static_cast<double>(values.size() - 1));
  }
  return stat;
}

std::string format_stat(const Stat& stat, int decimals) {
  if (stat.empty()) return "–";
  char text[64];
  if (stat.count == 1) {
    std::snprintf(text, sizeof text, "%.*f", decimals, stat.mean);
  } else {
    std::snprintf(text, sizeof text, "%.*f ± %.*f", decimals, stat.mean, decimals, stat.std);
  }
  return text;
}

std::string format_points(double value) { return std::isnan(value) ? "–" : format_stat({value, 0.0, 1}, 1); }

void Table::write_csv(const std::string& path) const {
  std::ostringstream out;
  for (std::size_t c = 0; c < columns.size(); ++c) out << (c ? "," : "") << csv_cell(columns[c]);
  out << "\n";
  for (const auto& row : rows) {
    for (std::size_t c = 0; c < row.size(); ++c) out << (c ? "," : "") << csv_cell(row[c]);
    out << "\n";
  }
  write_report_file(path, out);
}

namespace {
// A cell of a Markdown table: a '|' inside it would end the cell.
std::string markdown_cell(const std::string& cell) {
  std::string escaped;
  for (char c : cell) {
    if (c == '|') escaped += '\\';
    escaped += c;
  }
  return escaped;
}
}  // namespace

std::string Table::markdown() const {
  std::string text = "|";
  // Appended piece by piece: " " + cell + " |" trips GCC 12's -Wrestrict (bug 105329).
  for (const auto& column : columns) text.append(" ").append(markdown_cell(column)).append(" |");
  text += "\n|";
  for (std::size_t c = 0; c < columns.size(); ++c) text += c == 0 ? "---|" : "---:|";
  text += "\n";
  for (const auto& row : rows) {
    text += "|";
    for (const auto& cell : row) text.append(" ").append(markdown_cell(cell)).append(" |");
    text += "\n";
  }
  return text;
}

std::string verdict_text(const Finding& finding) { return verdict_name(finding.check.verdict); }

std::string table_with_plot(const Table& table, bool plotted, const std::string& caption, const std::string& path) {
  return table.markdown() + "\n" + plot_markdown(plotted, caption, path);
}

std::string plot_markdown(bool plotted, const std::string& caption, const std::string& path) {
  return plotted ? "![" + caption + "](" + path + ")\n" : "(" + caption + ": not drawn: no finished runs yet, or gnuplot missing or failed)\n";
}

bool line_plot(const std::string& png, const std::string& title, const std::string& xlabel,
               const std::string& ylabel, bool log_x, const std::vector<Series>& series,
               const std::vector<std::string>& x_names) {
  // A series without points would be an empty data block, which gnuplot does not
  // count as an index: every later series would be drawn under the wrong name.
  std::vector<Series> drawn;
  for (const auto& s : series) {
    if (!s.points.empty()) drawn.push_back(s);
  }
  if (drawn.empty()) return false;
  const std::string stem = stem_of(png);
  {
    std::ostringstream data;
    for (const auto& s : drawn) {
      data << "# " << s.name << "\n";
      for (const auto& [x, y] : s.points) data << x << " " << y << "\n";
      data << "\n\n";  // a gnuplot data block per series
    }
    std::ostringstream gp;
    gp << kTerminal << "set output " << gp_text(png) << "\n"
       << "set title " << gp_text(title) << "\nset xlabel " << gp_text(xlabel) << "\nset ylabel " << gp_text(ylabel)
       << "\nset key outside right\nset grid\n"
       << "set offsets graph 0.02, graph 0.02, graph 0.05, graph 0.05\n"  // points on the frame stay visible
       << (log_x ? "set logscale x\n" : "");
    if (!x_names.empty()) {
      gp << "set xrange [0.7:" << x_names.size() + 0.3 << "]\nset xtics (";
      for (std::size_t i = 0; i < x_names.size(); ++i) gp << (i ? ", " : "") << gp_text(x_names[i]) << " " << i + 1;
      gp << ")\n";
    }
    gp << "plot ";
    for (std::size_t i = 0; i < drawn.size(); ++i) {
      // Markers help a reader match a few points (a study's label sizes) to a line; on
      // a training curve of hundreds of rows they would be a smear.
      const char* style = drawn[i].points.size() > 40 ? " with lines lw 2" : " with linespoints lw 2";
      gp << (i ? ", " : "") << gp_text(stem + ".dat") << " index " << i << style << " title "
         << gp_text(drawn[i].name);
    }
    gp << "\n";
    write_report_file(stem + ".dat", data);
    write_report_file(stem + ".gp", gp);
  }
  return run_gnuplot(stem + ".gp");
}

bool heat_map(const std::string& png, const std::string& title, const std::vector<std::string>& row_names,
              const std::vector<std::string>& column_names, const std::vector<std::vector<double>>& values) {
  const std::string stem = stem_of(png);
  {
    std::ostringstream data;
    for (std::size_t r = 0; r < values.size(); ++r) {
      for (std::size_t c = 0; c < values[r].size(); ++c) {
        data << c << " " << r << " ";
        if (std::isnan(values[r][c])) data << "NaN"; else data << values[r][c];
        data << "\n";
      }
      data << "\n";
    }
    std::ostringstream gp;
    gp << kTerminal << "set output " << gp_text(png) << "\n"
       << "set title " << gp_text(title) << "\nset xlabel 'evaluated on'\nset ylabel 'pretrained on'\n"
       << "set palette rgbformulae 22,13,10\nset cblabel 'top-1 (%)'\nunset key\n"
       << "set xrange [-0.5:" << (column_names.size() - 0.5) << "]\nset yrange [" << (row_names.size() - 0.5)
       << ":-0.5]\n";
    gp << "set xtics (";
    for (std::size_t c = 0; c < column_names.size(); ++c) gp << (c ? ", " : "") << gp_text(column_names[c]) << " " << c;
    gp << ")\nset ytics (";
    for (std::size_t r = 0; r < row_names.size(); ++r) gp << (r ? ", " : "") << gp_text(row_names[r]) << " " << r;
    gp << ")\n";
    gp << "plot " << gp_text(stem + ".dat") << " using 1:2:3 with image, " << gp_text(stem + ".dat")
       << " using 1:2:(sprintf('%.1f', $3)) with labels font ',12'\n";
    write_report_file(stem + ".dat", data);
    write_report_file(stem + ".gp", gp);
  }
  return run_gnuplot(stem + ".gp");
}

bool bar_plot(const std::string& png, const std::string& title, const std::string& ylabel,
              const std::vector<std::string>& categories, const std::vector<std::string>& series_names,
              const std::vector<std::vector<double>>& values) {
  const std::string stem = stem_of(png);
  {
    std::ostringstream data;
    for (std::size_t c = 0; c < categories.size(); ++c) {
      data << "\"" << categories[c] << "\"";
      for (const auto& series : values) {
        const double v = c < series.size() ? series[c] : NAN;
        if (std::isnan(v)) data << " NaN"; else data << " " << v;
      }
      data << "\n";
    }
    std::ostringstream gp;
    gp << kTerminal << "set output " << gp_text(png) << "\n"
       << "set title " << gp_text(title) << "\nset ylabel " << gp_text(ylabel) << "\n"
       << "set style data histograms\nset style histogram clustered gap 1\nset style fill solid 0.8 border -1\n"
       << "set boxwidth 0.9\nset grid ytics\nset key outside right\nset xtics rotate by -20\n";
    gp << "plot ";
    for (std::size_t s = 0; s < series_names.size(); ++s) {
      gp << (s ? ", " : "") << gp_text(stem + ".dat") << " using " << (s + 2) << (s == 0 ? ":xtic(1)" : "")
         << " title " << gp_text(series_names[s]);
    }
    gp << "\n";
    write_report_file(stem + ".dat", data);
    write_report_file(stem + ".gp", gp);
  }
  return run_gnuplot(stem + ".gp");
}

}  // namespace nanossl
