{%- set src = source('cvdw', 'comissoes_pagamentos') -%}
{%- set cols = cvdw_columns('cvdw', 'comissoes_pagamentos') -%}

with

renamed as (

    select
        {{ cvdw_column(cols, 'idpagamento', 'bigint') }} as idpagamento,
        {{ cvdw_column(cols, 'idcomissao', 'bigint') }} as idcomissao,
        {{ cvdw_numeric(cols, 'valor') }} as valor,
        {{ cvdw_date(cvdw_column(cols, 'vencimento')) }} as vencimento,
        {{ cvdw_text(cvdw_column(cols, 'situacao')) }} as situacao,
        {{ cvdw_column(cols, 'id_boleto', 'bigint') }} as idboleto,
        coalesce({{ cvdw_bool(cvdw_column(cols, 'ativo')) }}, true) as is_ativo,
        {{ cvdw_timestamp(cvdw_column(cols, 'referencia_data')) }} as atualizado_em,
        {{ cvdw_column(cols, '_dlt_load_id') }} as _dlt_load_id
    from {{ cvdw_from(src, cols) }}

),

final as (

    select distinct on (idpagamento) *
    from renamed
    where idpagamento is not null
    order by idpagamento, {{ cvdw_newest_first() }}

)

select * from final
