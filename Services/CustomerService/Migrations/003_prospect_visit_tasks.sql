-- CS3: prospect visit tasks (销售潜客任务), one per follow-up a consultant recorded.
ALTER TABLE visit_task DROP CONSTRAINT visit_task_order_type_check;
ALTER TABLE visit_task ADD CONSTRAINT visit_task_order_type_check CHECK (order_type IN ('repair', 'new_car', 'prospect'));
