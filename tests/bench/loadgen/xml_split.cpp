#include "xml_split.hpp"

namespace loadgen {

bool next_element(std::string_view buf, SplitElement& out, std::size_t& consumed) {
    std::size_t pos = 0;
    consumed = 0;
    for (;;) {
        std::size_t lt = buf.find('<', pos);
        if (lt == std::string_view::npos) {
            consumed = buf.size();
            return false;
        }
        std::size_t gt = buf.find('>', lt);
        if (gt == std::string_view::npos) {
            consumed = lt;
            return false;
        }
        std::string_view tag = buf.substr(lt, gt - lt + 1);
        if (tag.starts_with("<?") || tag.starts_with("<stream:stream") || tag.starts_with("<!--")) {
            pos = gt + 1;
            consumed = pos;
            continue;
        }
        auto name_end = tag.find_first_of(" \t\r\n/>", 1);
        if (tag[1] == '/') name_end = tag.find_first_of(" \t\r\n>", 2);
        out.begin = lt;
        out.name = tag.substr(1, name_end - 1);
        if (tag[1] == '/' || tag[tag.size() - 2] == '/') {  // the stream's close, or an empty element
            out.end = gt + 1;
            consumed = out.end;
            return true;
        }
        // Walk the tags after the start tag until the depth comes back to zero.
        int depth = 1;
        std::size_t p = gt + 1;
        while (depth > 0) {
            std::size_t l = buf.find('<', p);
            if (l == std::string_view::npos) {
                consumed = lt;
                return false;
            }
            std::size_t g = buf.find('>', l);
            if (g == std::string_view::npos) {
                consumed = lt;
                return false;
            }
            if (buf[l + 1] == '/')
                --depth;
            else if (buf[g - 1] != '/' && buf[l + 1] != '?' && buf[l + 1] != '!')
                ++depth;
            p = g + 1;
        }
        out.end = p;
        consumed = p;
        return true;
    }
}

std::string attribute(std::string_view element, std::string_view name) {
    std::size_t tag_end = element.find('>');
    std::string_view tag = element.substr(0, tag_end);
    for (std::size_t pos = 0; (pos = tag.find(name, pos)) != std::string_view::npos; pos += name.size()) {
        // A whole attribute name: preceded by whitespace, followed by '='.
        if (pos == 0 || (tag[pos - 1] != ' ' && tag[pos - 1] != '\t' && tag[pos - 1] != '\n')) continue;
        std::size_t eq = pos + name.size();
        if (eq >= tag.size() || tag[eq] != '=' || eq + 1 >= tag.size()) continue;
        char quote = tag[eq + 1];
        if (quote != '\'' && quote != '"') continue;
        std::size_t close = tag.find(quote, eq + 2);
        if (close == std::string_view::npos) return {};
        return std::string(tag.substr(eq + 2, close - eq - 2));
    }
    return {};
}

}  // namespace loadgen
