// libxlsxwriter (libxlsxwriter-dev), for the .xlsx exports of every list.
#include <xlsxwriter.h>
