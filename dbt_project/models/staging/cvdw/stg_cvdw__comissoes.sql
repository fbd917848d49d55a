with

source as (

    {{ cvdw_source('comissoes') }}

),

renamed as (

    select
        conta,
        idcomissao,
        idreserva,
        idsituacao,
        {{ cvdw_text('situacao') }} as situacao,
        {{ cvdw_text('corretor') }} as corretor,
        {{ cvdw_text('imobiliaria') }} as imobiliaria,
        {{ cvdw_text('empreendimento') }} as empreendimento,
        {{ cvdw_text('unidade') }} as unidade,
        {{ cvdw_number('valor_contrato') }} as valor_contrato,
        {{ cvdw_number('porcentagem_comissao') }} as porcentagem_comissao,
        {{ cvdw_number('valor_comissao') }} as valor_comissao,
        {{ cvdw_number('valor_pagamento') }} as valor_pago,
        {{ cvdw_number('valor_comissao_apagar') }} as valor_a_pagar,
        {{ cvdw_text('nota_fiscal') }} as nota_fiscal,
        {{ cvdw_date('data_pagamento') }} as data_pagamento,
        {{ cvdw_timestamp('data_cad') }} as data_cad,
        coalesce({{ cvdw_bool('ativo') }}, true) as is_ativo,
        {{ cvdw_timestamp('referencia_data') }} as atualizado_em,
        _dlt_load_id
    from source

),

final as (

    select distinct on (conta, idcomissao) *
    from renamed
    where idcomissao is not null
    order by conta, idcomissao, {{ cvdw_newest_first() }}

)

select * from final
