// libxml2 (libxml2-dev), for its HTML parser: rich text (a news article's body) is parsed the way
// a browser would read it, then written back with only the allow-listed elements and attributes
// (ServiceKit's RichTextSanitizer).
#ifndef CRM_LIBXML2_SHIM_H
#define CRM_LIBXML2_SHIM_H

// Debian builds libxml2 with ICU, and then its encoding.h includes ICU's headers, which clash with
// the ICU that Foundation carries (_FoundationICU: "UErrorCode has different definitions"). Nothing
// here uses libxml2's ICU converters (only the layout of xmlCharEncodingHandler, which is never
// touched from Swift, depends on it), so the headers are read without them.
#include <libxml/xmlversion.h>
#undef LIBXML_ICU_ENABLED

#include <libxml/parser.h>
#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

#endif
