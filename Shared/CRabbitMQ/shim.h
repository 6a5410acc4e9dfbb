#ifndef CRM_RABBITMQ_SHIM_H
#define CRM_RABBITMQ_SHIM_H

#include <amqp.h>
#include <amqp_framing.h>
#include <amqp_tcp_socket.h>
#include <sys/time.h>

/// `amqp_login` is variadic, which Swift cannot call: this is the PLAIN-mechanism form of it.
static inline amqp_rpc_reply_t crm_amqp_login_plain(amqp_connection_state_t state,
                                                    const char *vhost,
                                                    int channel_max,
                                                    int frame_max,
                                                    int heartbeat_seconds,
                                                    const char *user,
                                                    const char *password) {
    return amqp_login(state, vhost, channel_max, frame_max, heartbeat_seconds,
                      AMQP_SASL_METHOD_PLAIN, user, password);
}

/* Method ids and property flags are macros with casts or shifts, which Swift does not import. */
static const amqp_method_number_t CRM_BASIC_ACK_METHOD = AMQP_BASIC_ACK_METHOD;
static const amqp_method_number_t CRM_BASIC_NACK_METHOD = AMQP_BASIC_NACK_METHOD;
static const amqp_method_number_t CRM_BASIC_RETURN_METHOD = AMQP_BASIC_RETURN_METHOD;
static const amqp_method_number_t CRM_BASIC_DELIVER_METHOD = AMQP_BASIC_DELIVER_METHOD;
static const amqp_method_number_t CRM_CHANNEL_CLOSE_METHOD = AMQP_CHANNEL_CLOSE_METHOD;
static const amqp_method_number_t CRM_CONNECTION_CLOSE_METHOD = AMQP_CONNECTION_CLOSE_METHOD;
static const amqp_method_number_t CRM_BASIC_GET_OK_METHOD = AMQP_BASIC_GET_OK_METHOD;
static const amqp_flags_t CRM_BASIC_CONTENT_TYPE_FLAG = AMQP_BASIC_CONTENT_TYPE_FLAG;
static const amqp_flags_t CRM_BASIC_HEADERS_FLAG = AMQP_BASIC_HEADERS_FLAG;
static const amqp_flags_t CRM_BASIC_DELIVERY_MODE_FLAG = AMQP_BASIC_DELIVERY_MODE_FLAG;
static const amqp_flags_t CRM_BASIC_MESSAGE_ID_FLAG = AMQP_BASIC_MESSAGE_ID_FLAG;
static const amqp_flags_t CRM_BASIC_TIMESTAMP_FLAG = AMQP_BASIC_TIMESTAMP_FLAG;
static const amqp_flags_t CRM_BASIC_TYPE_FLAG = AMQP_BASIC_TYPE_FLAG;
static const amqp_flags_t CRM_BASIC_APP_ID_FLAG = AMQP_BASIC_APP_ID_FLAG;

#endif
