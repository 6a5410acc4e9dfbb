-- One index less to write per visit task: the unique key on the order leads with its number, so
-- that it also serves the lookups by store and order number that visit_task_order_no served.
-- ON CONFLICT (store_id, order_type, order_no) infers it by its columns, whatever their order.
CREATE UNIQUE INDEX visit_task_order_key ON visit_task (store_id, order_no, order_type);
ALTER TABLE visit_task DROP CONSTRAINT visit_task_store_id_order_type_order_no_key;
DROP INDEX visit_task_order_no;
