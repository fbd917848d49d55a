{%- set src = source('cvdw', 'comissoes') -%}
{%- set cols = cvdw_columns('cvdw', 'comissoes') -%}

with

renamed as (

    select
        {{ cvdw_column(cols, 'idcomissao', 'bigint') }} as idcomissao,
        {{ cvdw_column(cols, 'idreserva', 'bigint') }} as idreserva,
        {{ cvdw_column(cols, 'idsituacao', 'bigint') }} as idsituacao,
        {{ cvdw_text(cvdw_column(cols, 'situacao')) }} as situacao,
        {{ cvdw_text(cvdw_column(cols, 'corretor')) }} as corretor,
        {{ cvdw_text(cvdw_column(cols, 'imobiliaria')) }} as imobiliaria,
        {{ cvdw_text(cvdw_column(cols, 'empreendimento')) }} as empreendimento,
        {{ cvdw_text(cvdw_column(cols, 'unidade')) }} as unidade,
        {{ cvdw_numeric(cols, 'valor_contrato') }} as valor_contrato,
        {{ cvdw_numeric(cols, 'porcentagem_comissao') }} as porcentagem_comissao,
        {{ cvdw_numeric(cols, 'valor_comissao') }} as valor_comissao,
        {{ cvdw_numeric(cols, 'valor_pagamento') }} as valor_pago,
        {{ cvdw_numeric(cols, 'valor_comissao_apagar') }} as valor_a_pagar,
        {{ cvdw_text(cvdw_column(cols, 'nota_fiscal')) }} as nota_fiscal,
        {{ cvdw_date(cvdw_column(cols, 'data_pagamento')) }} as data_pagamento,
        {{ cvdw_timestamp(cvdw_column(cols, 'data_cad')) }} as data_cad,
        coalesce({{ cvdw_bool(cvdw_column(cols, 'ativo')) }}, true) as is_ativo,
        {{ cvdw_timestamp(cvdw_column(cols, 'referencia_data')) }} as atualizado_em,
        {{ cvdw_column(cols, '_dlt_load_id') }} as _dlt_load_id
    from {{ cvdw_from(src, cols) }}

),

final as (

    select distinct on (idcomissao) *
    from renamed
    where idcomissao is not null
    order by idcomissao, {{ cvdw_newest_first() }}

)

select * from final
