// cairo (libcairo2-dev) and pango (libpango1.0-dev), for the printable documents: pango lays the
// text out in fonts that fontconfig finds, cairo writes the PDF and embeds subsets of them; cairo
// also draws the QR codes as PNG and SVG (QRCodeImage).
#ifndef CRM_PANGOCAIRO_SHIM_H
#define CRM_PANGOCAIRO_SHIM_H

#include <cairo.h>
#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <pango/pangocairo.h>

#endif
