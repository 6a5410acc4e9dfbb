// libqrencode (libqrencode-dev): the QR code symbols of the channel codes (推广二维码, M6).
#ifndef CRM_QRENCODE_SHIM_H
#define CRM_QRENCODE_SHIM_H

#include <qrencode.h>

#endif
