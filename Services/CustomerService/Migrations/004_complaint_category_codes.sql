-- G5: a complaint's category is a code of the store's dictionary `complaintCategory`. Categories
-- written as free text before then that are exactly a built-in label become its code, so that
-- they show in the store's words and filter with the new ones — among them the automatic
-- 回访不满意 of dissatisfied visits. Any other text stays as written and is shown as it is.
UPDATE complaint SET category = catalogue.code
FROM (VALUES
    ('服务态度', 'service'), ('维修质量', 'quality'), ('收费价格', 'price'), ('等待时间', 'waiting'),
    ('配件', 'parts'), ('销售', 'sales'), ('回访不满意', 'dissatisfied_visit'), ('其他', 'other')
) AS catalogue (label, code)
WHERE complaint.category = catalogue.label;
