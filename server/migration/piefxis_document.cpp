#include "server/migration/piefxis_document.hpp"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include <fstream>
#include <memory>
#include <sstream>

namespace server::migration {

namespace {

constexpr std::string_view xinclude_ns = "http://www.w3.org/2001/XInclude";
constexpr std::string_view xinclude_old_ns = "http://www.w3.org/2003/XInclude";
constexpr int max_include_depth = 4;

struct DocFree {
    void operator()(xmlDoc* d) const { xmlFreeDoc(d); }
};
struct CtxtFree {
    void operator()(xmlParserCtxt* c) const { xmlFreeParserCtxt(c); }
};

std::string to_str(const xmlChar* s) { return s ? reinterpret_cast<const char*>(s) : std::string(); }

xmpp::Result<xmpp::Element, std::string> load(std::string_view xml, const std::string& name,
                                              const std::filesystem::path& base_dir, int depth);

// Converts one element, resolving XIncludes among its descendants.
xmpp::Result<xmpp::Element, std::string> convert(const xmlNode* node, const std::string& name,
                                                 const std::filesystem::path& base_dir, int depth) {
    xmpp::Element out(to_str(node->name), node->ns ? to_str(node->ns->href) : std::string());
    // Prefixed namespace declarations stay as attributes (as the stream parser
    // keeps them), so prefixed attributes below still serialise correctly.
    for (const xmlNs* ns = node->nsDef; ns; ns = ns->next)
        if (ns->prefix) out.append_attr("xmlns:" + to_str(ns->prefix), to_str(ns->href));
    for (const xmlAttr* a = node->properties; a; a = a->next) {
        std::string attr_name = to_str(a->name);
        if (a->ns && a->ns->prefix) attr_name = to_str(a->ns->prefix) + ":" + attr_name;
        xmlChar* value = xmlNodeListGetString(node->doc, a->children, 1);
        out.append_attr(std::move(attr_name), to_str(value));
        xmlFree(value);
    }
    for (const xmlNode* c = node->children; c; c = c->next) {
        switch (c->type) {
        case XML_ELEMENT_NODE: {
            const std::string ns = c->ns ? to_str(c->ns->href) : std::string();
            if ((ns == xinclude_ns || ns == xinclude_old_ns) && to_str(c->name) == "include") {
                xmlChar* href = xmlGetProp(c, BAD_CAST "href");
                xmlChar* parse = xmlGetProp(c, BAD_CAST "parse");
                const std::string h = to_str(href), p = to_str(parse);
                xmlFree(href);
                xmlFree(parse);
                const std::string where = name + ":" + std::to_string(xmlGetLineNo(c)) + ": xi:include";
                if (h.empty()) return xmpp::fail(where + " without href");
                if (!p.empty() && p != "xml") return xmpp::fail(where + " with parse='" + p + "' (only XML is read)");
                const std::filesystem::path rel(h);
                if (rel.is_absolute() || h.find(':') != std::string::npos)
                    return xmpp::fail(where + " of '" + h + "': only relative file names are followed");
                if (depth >= max_include_depth) return xmpp::fail(where + " of '" + h + "': includes nested too deep");
                const std::filesystem::path target = base_dir / rel;
                std::ifstream in(target, std::ios::binary);
                if (!in) return xmpp::fail(where + ": cannot read " + target.string());
                std::ostringstream text;
                text << in.rdbuf();
                auto included = load(text.str(), target.string(), target.parent_path(), depth + 1);
                if (!included) return included;
                out.add_child(std::move(included.value()));
                break;
            }
            auto child = convert(c, name, base_dir, depth);
            if (!child) return child;
            out.add_child(std::move(child.value()));
            break;
        }
        case XML_TEXT_NODE:
        case XML_CDATA_SECTION_NODE:
            out.add_text(to_str(c->content));
            break;
        case XML_ENTITY_REF_NODE:  // only with a DTD, which is refused; never expanded
            return xmpp::fail(name + ":" + std::to_string(xmlGetLineNo(c)) + ": entity reference &" +
                              to_str(c->name) + "; (entities are not allowed)");
        default:  // comments, processing instructions
            break;
        }
    }
    return out;
}

xmpp::Result<xmpp::Element, std::string> load(std::string_view xml, const std::string& name,
                                              const std::filesystem::path& base_dir, int depth) {
    std::unique_ptr<xmlParserCtxt, CtxtFree> ctxt(xmlNewParserCtxt());
    if (!ctxt) return xmpp::fail(name + ": out of memory");
    // No XML_PARSE_NOENT (no entity substitution), no DTDLOAD/DTDATTR, no
    // XINCLUDE (done above, with our own rules), no HUGE (libxml2's size caps stay).
    const int options = XML_PARSE_NONET | XML_PARSE_NOCDATA | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;
    std::unique_ptr<xmlDoc, DocFree> doc(xmlCtxtReadMemory(ctxt.get(), xml.data(), static_cast<int>(xml.size()),
                                                           name.c_str(), nullptr, options));
    if (!doc) {
        const xmlError* e = xmlCtxtGetLastError(ctxt.get());
        std::string message = e && e->message ? e->message : "not well-formed XML";
        while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
        return xmpp::fail(name + ":" + std::to_string(e ? e->line : 0) + ": " + message);
    }
    if (doc->intSubset || doc->extSubset) return xmpp::fail(name + ": a DOCTYPE is not allowed in a XEP-0227 file");
    const xmlNode* root = xmlDocGetRootElement(doc.get());
    if (!root) return xmpp::fail(name + ": no root element");
    return convert(root, name, base_dir, depth);
}

}  // namespace

xmpp::Result<xmpp::Element, std::string> load_pie_document(std::string_view xml, std::string_view name,
                                                           const std::filesystem::path& base_dir) {
    if (xml.size() > static_cast<std::size_t>(INT32_MAX)) return xmpp::fail(std::string(name) + ": file too large");
    return load(xml, std::string(name), base_dir, 0);
}

xmpp::Result<xmpp::Element, std::string> load_pie_file(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return xmpp::fail("cannot read " + file.string());
    std::ostringstream text;
    text << in.rdbuf();
    return load_pie_document(text.str(), file.string(), file.parent_path());
}

}  // namespace server::migration
